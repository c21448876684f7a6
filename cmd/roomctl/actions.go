package main

import (
	"context"
	"flag"
	"fmt"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
)

// setupPublish defines the publish flags.
func setupPublish(fs *flag.FlagSet) runner {
	binary := fs.Bool("binary", false, "send a binary frame instead of a text frame")
	return func(ctx context.Context, e *env, args []string) error {
		if err := wantArgs(args, 3, 3, "NAMESPACE NAME MESSAGE (quote a message with spaces)"); err != nil {
			return err
		}
		ctx, cancel := e.call(ctx)
		defer cancel()
		resp, err := e.client.Publish(ctx, &roomshardv1.PublishRequest{
			Room:   &roomshardv1.RoomRef{Namespace: args[0], Name: args[1]},
			Data:   []byte(args[2]),
			Binary: *binary,
		})
		if err != nil {
			return err
		}
		if e.json {
			return jsonLine(e.stdout, resp)
		}
		_, err = fmt.Fprintf(e.stdout, "published to %d %s of %s/%s\n", resp.Delivered, plural(resp.Delivered, "socket"), args[0], args[1])
		return err
	}
}

// setupKick defines the kick flags.
func setupKick(fs *flag.FlagSet) runner {
	code := fs.Int("code", 1000, "WebSocket close `code`")
	reason := fs.String("reason", "", "close `reason` (at most 123 bytes)")
	return func(ctx context.Context, e *env, args []string) error {
		if err := wantArgs(args, 2, -1, "NAMESPACE NAME [SOCKET...]"); err != nil {
			return err
		}
		ctx, cancel := e.call(ctx)
		defer cancel()
		resp, err := e.client.CloseSockets(ctx, &roomshardv1.CloseSocketsRequest{
			Room:      &roomshardv1.RoomRef{Namespace: args[0], Name: args[1]},
			SocketIds: args[2:],
			Code:      int32(*code),
			Reason:    *reason,
		})
		if err != nil {
			return err
		}
		if e.json {
			return jsonLine(e.stdout, resp)
		}
		_, err = fmt.Fprintf(e.stdout, "closed %d %s of %s/%s with %d\n", resp.Closed, plural(resp.Closed, "socket"), args[0], args[1], *code)
		return err
	}
}

// runDrain drains a shard.
func runDrain(ctx context.Context, e *env, args []string) error {
	if err := wantArgs(args, 1, 1, "SHARD"); err != nil {
		return err
	}
	ctx, cancel := e.call(ctx)
	defer cancel()
	resp, err := e.client.DrainShard(ctx, &roomshardv1.DrainShardRequest{Shard: args[0]})
	if err != nil {
		return err
	}
	if e.json {
		return jsonLine(e.stdout, resp)
	}
	_, err = fmt.Fprintf(e.stdout, "draining %s: it held %d %s; they move to other shards\n", args[0], resp.Rooms, plural(resp.Rooms, "room"))
	return err
}

// plural adds an s to word unless n is 1.
func plural(n int64, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
