package gateway

import (
	"context"
	"fmt"
	"time"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
)

// countTimeout bounds one connection count, redirects included.
const countTimeout = 5 * time.Second

// countConnections asks the room's owner for its socket count across all
// gateways, following up to maxRedirects redirects.
func (g *Gateway) countConnections(ctx context.Context, ref *roomshardv1.RoomRef) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, countTimeout)
	defer cancel()
	rg := g.members.Ring()
	owner, ok := rg.Owner(ref.GetId())
	if !ok {
		return 0, ErrNoShard
	}
	addr := owner.Addr
	for range maxRedirects + 1 {
		cc, err := g.dialer.get(addr)
		if err != nil {
			return 0, err
		}
		resp, err := roomshardv1.NewShardServiceClient(cc).CountConnections(ctx,
			&roomshardv1.CountConnectionsRequest{Room: ref, RingVersion: rg.Version()})
		if err != nil {
			return 0, fmt.Errorf("gateway: counting connections on %s: %w", addr, err)
		}
		rd := resp.GetRedirect()
		if rd == nil || rd.GetOwnerGrpcAddr() == "" {
			return resp.GetConnections(), nil
		}
		g.metrics.redirects.Inc()
		addr = rd.GetOwnerGrpcAddr()
	}
	return 0, ErrTooManyRedirects
}

// countText is SPEC §4's connection count sentence.
func countText(n int64) string {
	if n == 1 {
		return "There is 1 WebSocket client connected to this Durable Object instance."
	}
	return fmt.Sprintf("There are %d WebSocket clients connected to this Durable Object instance.", n)
}
