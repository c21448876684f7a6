package main

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/roomshard/roomshard/bench"
)

// options is everything the run and compare subcommands accept.
type options struct {
	scenario string
	baseline string
	direct   string
	url      string
	target   string
	echoNS   string
	bcastNS  string
	noSelf   bool
	pids     pidList
	killPID  int
	output   string
	out      string
	verbose  bool
	cpuProf  string
	payload  int
	dialConc int

	clients  int
	rooms    int
	duration time.Duration

	sizes   string
	start   float64
	factor  float64
	refine  int
	step    time.Duration
	p99     time.Duration
	budget  time.Duration
	maxRate float64
	noRetry bool

	conns   int
	idle    time.Duration
	settle  time.Duration
	procs   int
	noProbe bool

	members int
	rate    float64
	warmup  time.Duration
	timeout time.Duration
}

func newFlags(name string, o *options) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.StringVar(&o.scenario, "scenario", "echo", "scenario: echo, fanout, idle or failover")
	fs.StringVar(&o.baseline, "baseline", "", `"direct": drive the in-harness hub instead of --url (run only)`)
	fs.StringVar(&o.direct, "direct", "inproc", "how the direct baseline runs: inproc (inside the harness; the upper bound) or proc (a child process with its own runtime; failover kills and restarts it)")
	fs.StringVar(&o.url, "url", "", "target: gateway base URL (roomshard, e.g. ws://localhost:8080) or room URL template with {room} (plain)")
	fs.StringVar(&o.target, "target", "roomshard", "target protocol: roomshard (SPEC §4 texts) or plain (verbatim broadcast)")
	fs.StringVar(&o.echoNS, "echo-ns", "echo", "roomshard namespace of the echo class")
	fs.StringVar(&o.bcastNS, "broadcast-ns", "broadcast", "roomshard namespace used for broadcast scenarios (broadcast or hibernation)")
	fs.BoolVar(&o.noSelf, "no-self", false, "plain target does not relay a message back to its sender")
	fs.Var(&o.pids, "pid", "process under test as NAME=PID or PID (repeatable); its VmRSS is reported")
	fs.IntVar(&o.killPID, "kill-pid", 0, "failover: PID to SIGKILL (a shard process)")
	fs.StringVar(&o.output, "o", "table", "stdout format: table or json")
	fs.StringVar(&o.out, "out", "", "also write the JSON result to this file")
	fs.BoolVar(&o.verbose, "v", false, "debug logging")
	fs.StringVar(&o.cpuProf, "cpuprofile", "", "write a CPU profile of this process to FILE")
	fs.IntVar(&o.payload, "payload", 64, "message payload size in bytes")
	fs.IntVar(&o.dialConc, "dial-concurrency", 0, "dials in flight (per worker for idle); 0: scenario default")

	fs.IntVar(&o.clients, "clients", 100, "echo: connections")
	fs.IntVar(&o.rooms, "rooms", 0, "rooms (echo: default one per client; idle: 1000; failover: 20)")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "echo: send/reply loop duration")

	fs.StringVar(&o.sizes, "sizes", "100,1000", "fanout: room sizes, comma-separated")
	fs.Float64Var(&o.start, "start", 20000, "fanout: deliveries/s of the first step")
	fs.Float64Var(&o.factor, "factor", 2, "fanout: rate multiplier while steps pass")
	fs.IntVar(&o.refine, "refine", 3, "fanout: bisection steps after the first failing step")
	fs.DurationVar(&o.step, "step", 2*time.Second, "fanout: duration of each rate step")
	fs.DurationVar(&o.p99, "p99", 50*time.Millisecond, "fanout: p99 latency bound of a sustained step")
	fs.DurationVar(&o.budget, "budget", 50*time.Second, "fanout: time budget per room size (a step starts only while it fits)")
	fs.Float64Var(&o.maxRate, "max-rate", 200000, "fanout: highest publish rate tried (msgs/s)")
	fs.BoolVar(&o.noRetry, "no-retry", false, "fanout: count a failing step at once instead of holding the rate once more")

	fs.IntVar(&o.conns, "conns", 10000, "idle: connections")
	fs.DurationVar(&o.idle, "idle", 30*time.Second, "idle: silent period after connecting")
	fs.DurationVar(&o.settle, "settle", 5*time.Second, "idle: wait after connecting before measuring RSS")
	fs.IntVar(&o.procs, "procs", 4, "idle: worker processes holding the clients (0: in this process)")
	fs.BoolVar(&o.noProbe, "no-probe", false, "idle: skip the post-idle delivery probe")

	fs.IntVar(&o.members, "members", 5, "failover: members per room")
	fs.Float64Var(&o.rate, "rate", 0, "messages/s; echo: in total over all clients, each sending its share on a schedule (0: closed loop, each client waits for its reply); failover: per room (0: 20)")
	fs.DurationVar(&o.warmup, "warmup", 3*time.Second, "failover: busy time before the kill")
	fs.DurationVar(&o.timeout, "timeout", 60*time.Second, "failover: longest wait for every room to recover")
	return fs
}

// configs turns the options into scenario configurations.
func (o *options) configs() (bench.ScenarioConfigs, error) {
	var sizes []int
	for _, s := range strings.Split(o.sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 2 {
			return bench.ScenarioConfigs{}, fmt.Errorf("--sizes: bad room size %q", s)
		}
		sizes = append(sizes, n)
	}
	idleRooms, failRooms := o.rooms, o.rooms
	if idleRooms == 0 {
		idleRooms = 1000
	}
	if failRooms == 0 {
		failRooms = 20
	}
	return bench.ScenarioConfigs{
		Echo: bench.EchoConfig{
			Clients: o.clients, Rooms: o.rooms, Duration: o.duration,
			PayloadSize: o.payload, DialConcurrency: o.dialConc, Rate: o.rate,
		},
		Fanout: bench.FanoutConfig{
			Sizes: sizes, StartDeliveries: o.start, Factor: o.factor, Refine: o.refine,
			Step: o.step, P99: o.p99, Budget: o.budget, MaxRate: o.maxRate, NoRetry: o.noRetry,
			PayloadSize: o.payload, DialConcurrency: o.dialConc,
		},
		Idle: bench.IdleConfig{
			Conns: o.conns, Rooms: idleRooms, Settle: o.settle, Idle: o.idle,
			Procs: o.procs, NoProbe: o.noProbe, DialConcurrency: o.dialConc,
		},
		Failover: bench.FailoverConfig{
			Rooms: failRooms, Members: o.members, Rate: o.rate, Warmup: o.warmup,
			Timeout: o.timeout, PayloadSize: o.payload, DialConcurrency: o.dialConc,
		},
	}, nil
}

// spec describes the --url target.
func (o *options) spec() bench.TargetSpec {
	if o.target == "plain" {
		return bench.TargetSpec{Kind: "plain", Template: o.url, NoSelf: o.noSelf}
	}
	return bench.TargetSpec{Kind: o.target, Base: o.url, EchoNamespace: o.echoNS, BroadcastNamespace: o.bcastNS}
}

// pidList is a repeatable NAME=PID flag.
type pidList []bench.Process

func (p *pidList) String() string {
	var parts []string
	for _, x := range *p {
		parts = append(parts, fmt.Sprintf("%s=%d", x.Name, x.PID))
	}
	return strings.Join(parts, ",")
}

func (p *pidList) Set(v string) error {
	name, num, ok := strings.Cut(v, "=")
	if !ok {
		name, num = "pid"+v, v
	}
	pid, err := strconv.Atoi(num)
	if err != nil || pid <= 0 {
		return fmt.Errorf("bad PID in %q", v)
	}
	*p = append(*p, bench.Process{Name: name, PID: pid})
	return nil
}
