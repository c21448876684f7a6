// Package cluster holds what gateways and shards share about the cluster:
// room ids (roomid), the consistent-hash ring (ring), membership over
// hashicorp/memberlist (membership) and the admin API (admin).
package cluster
