package ops

import (
	"net"
	"strconv"
)

// AdvertiseAddr is the address peers dial for a listener bound at bound,
// with --advertise (a host, or host:port whose port applies to gossip only)
// as given to the node. The host is the --advertise host when given; else
// the bound host when it names one interface; else the machine's first
// private IPv4 address, which is also what memberlist advertises for
// gossip, so all of a node's addresses agree and reach it from other
// machines; else loopback, right for a single machine.
func AdvertiseAddr(bound net.Addr, advertise string) string {
	tcp, ok := bound.(*net.TCPAddr)
	if !ok {
		return bound.String()
	}
	return net.JoinHostPort(advertiseHost(tcp.IP, advertise), strconv.Itoa(tcp.Port))
}

func advertiseHost(bound net.IP, advertise string) string {
	if advertise != "" {
		if h, _, err := net.SplitHostPort(advertise); err == nil {
			return h
		}
		return advertise
	}
	if bound != nil && !bound.IsUnspecified() {
		return bound.String()
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

// GossipAdvertise is memberlist's advertise address for a node gossiping
// on gossipBind: empty (memberlist decides) unless --advertise is given,
// whose port defaults to the gossip bind port.
func GossipAdvertise(gossipBind, advertise string) string {
	if advertise == "" {
		return ""
	}
	if _, _, err := net.SplitHostPort(advertise); err == nil {
		return advertise
	}
	_, port, _ := net.SplitHostPort(gossipBind)
	return net.JoinHostPort(advertise, port)
}
