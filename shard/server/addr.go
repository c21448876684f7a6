package server

import (
	"net"
	"strconv"
)

// advertiseHost is the host peers use to reach a listener bound to
// bindHost: the --advertise host when given; the bind host when it names
// one interface; else the machine's first private IPv4 address (what
// memberlist advertises for gossip, so all of a node's addresses agree);
// else loopback, which is right for single-machine clusters.
func advertiseHost(bindHost, advertise string) string {
	if advertise != "" {
		if h, _, err := net.SplitHostPort(advertise); err == nil {
			return h
		}
		return advertise
	}
	if ip := net.ParseIP(bindHost); bindHost != "" && (ip == nil || !ip.IsUnspecified()) {
		return bindHost
	}
	if ip := privateIPv4(); ip != "" {
		return ip
	}
	return "127.0.0.1"
}

func privateIPv4() string {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return ""
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			if ip := n.IP.To4(); ip != nil && ip.IsPrivate() {
				return ip.String()
			}
		}
	}
	return ""
}

// advertised turns a bound listener address into the address to gossip.
func advertised(bound net.Addr, bindAddr, advertise string) string {
	bindHost, _, _ := net.SplitHostPort(bindAddr)
	port := strconv.Itoa(bound.(*net.TCPAddr).Port)
	return net.JoinHostPort(advertiseHost(bindHost, advertise), port)
}

// gossipAdvertise is the memberlist advertise address: empty (memberlist
// decides) unless --advertise is given; its port defaults to the gossip
// bind port.
func gossipAdvertise(bindAddr, advertise string) string {
	if advertise == "" {
		return ""
	}
	if _, _, err := net.SplitHostPort(advertise); err == nil {
		return advertise
	}
	_, port, _ := net.SplitHostPort(bindAddr)
	return net.JoinHostPort(advertise, port)
}
