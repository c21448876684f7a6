// Command roomshard-bench is roomshard's load harness. It drives real
// WebSocket clients against a gateway (or any plain broadcast server) and
// against its own in-process direct baseline hub, and reports connection
// rates, message rates, end-to-end latency percentiles, RSS of the processes
// under test and disconnects by close code, as a table or JSON.
//
// Usage:
//
//	roomshard-bench run     --scenario echo|fanout|idle|failover (--baseline direct | --url URL) [flags]
//	roomshard-bench compare --scenario S --url URL [flags]   # direct and URL in one run, with ratios
//	roomshard-bench serve   [--addr 127.0.0.1:8090]           # the direct hub alone, as a peer
//	roomshard-bench worker                                    # internal: holds idle clients for --procs
//
// Run "roomshard-bench run -h" for the flags. See BENCHMARKS.md.
package main
