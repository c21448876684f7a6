package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/roomshard/roomshard/shard/storage"
)

func (s *Store) checkRead(ctx context.Context, room string) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	return storage.CheckRoom(room)
}

// Get implements storage.Reader.
func (s *Store) Get(ctx context.Context, room, key string) ([]byte, bool, error) {
	if err := s.checkRead(ctx, room); err != nil {
		return nil, false, err
	}
	if err := storage.CheckKey(key); err != nil {
		return nil, false, err
	}
	var value []byte
	err := s.pool.QueryRow(ctx, `SELECT value FROM roomshard_kv WHERE room = $1 AND key = $2`,
		[]byte(room), []byte(key)).Scan(&value)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, wrapErr("get from room "+room, err)
	}
	return nonNil(value), true, nil
}

// GetMany implements storage.Reader with one statement (one snapshot).
func (s *Store) GetMany(ctx context.Context, room string, keys []string) (map[string][]byte, error) {
	if err := s.checkRead(ctx, room); err != nil {
		return nil, err
	}
	raw := make([][]byte, len(keys))
	for i, key := range keys {
		if err := storage.CheckKey(key); err != nil {
			return nil, err
		}
		raw[i] = []byte(key)
	}
	out := make(map[string][]byte, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	rows, _ := s.pool.Query(ctx, `SELECT key, value FROM roomshard_kv WHERE room = $1 AND key = ANY($2)`,
		[]byte(room), raw)
	err := scanKVs(rows, func(kv storage.KV) { out[kv.Key] = kv.Value })
	if err != nil {
		return nil, wrapErr("get many from room "+room, err)
	}
	return out, nil
}

// List implements storage.Reader with one range query on the primary key.
func (s *Store) List(ctx context.Context, room string, opts storage.ListOptions) ([]storage.KV, error) {
	if err := s.checkRead(ctx, room); err != nil {
		return nil, err
	}
	r, err := opts.Range()
	if err != nil {
		return nil, err
	}
	if r.Empty() {
		return nil, nil
	}
	query, args := listQuery(room, r, opts)
	var out []storage.KV
	rows, _ := s.pool.Query(ctx, query, args...)
	if err := scanKVs(rows, func(kv storage.KV) { out = append(out, kv) }); err != nil {
		return nil, wrapErr("list room "+room, err)
	}
	return out, nil
}

func listQuery(room string, r storage.KeyRange, opts storage.ListOptions) (string, []any) {
	var q strings.Builder
	q.WriteString(`SELECT key, value FROM roomshard_kv WHERE room = $1 AND key >= $2`)
	args := []any{[]byte(room), []byte(r.Lo)}
	if r.HasHi {
		args = append(args, []byte(r.Hi))
		fmt.Fprintf(&q, ` AND key < $%d`, len(args))
	}
	if opts.Reverse {
		q.WriteString(` ORDER BY key DESC`)
	} else {
		q.WriteString(` ORDER BY key`)
	}
	if opts.Limit > 0 {
		args = append(args, opts.Limit)
		fmt.Fprintf(&q, ` LIMIT $%d`, len(args))
	}
	return q.String(), args
}

func scanKVs(rows pgx.Rows, visit func(storage.KV)) error {
	var key, value []byte
	_, err := pgx.ForEachRow(rows, []any{&key, &value}, func() error {
		visit(storage.KV{Key: string(key), Value: nonNil(value)})
		value = nil // the next row scans into a fresh slice
		return nil
	})
	return err
}

// nonNil keeps an empty stored value distinct from a missing one.
func nonNil(value []byte) []byte {
	if value == nil {
		return []byte{}
	}
	return value
}

// GetAlarm implements storage.Reader.
func (s *Store) GetAlarm(ctx context.Context, room string) (time.Time, bool, error) {
	if err := s.checkRead(ctx, room); err != nil {
		return time.Time{}, false, err
	}
	var ms int64
	err := s.pool.QueryRow(ctx, `SELECT at_ms FROM roomshard_alarms WHERE room = $1`, []byte(room)).Scan(&ms)
	if errors.Is(err, pgx.ErrNoRows) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, wrapErr("get alarm of room "+room, err)
	}
	return time.UnixMilli(ms).UTC(), true, nil
}

// DueAlarms implements storage.Backend from the (at_ms, room) index.
func (s *Store) DueAlarms(ctx context.Context, before time.Time, limit int) ([]storage.Alarm, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	query := `SELECT room, at_ms FROM roomshard_alarms WHERE at_ms <= $1 ORDER BY at_ms, room`
	args := []any{before.UnixMilli()}
	if limit > 0 {
		query += ` LIMIT $2`
		args = append(args, limit)
	}
	rows, _ := s.pool.Query(ctx, query, args...)
	var out []storage.Alarm
	var room []byte
	var ms int64
	_, err := pgx.ForEachRow(rows, []any{&room, &ms}, func() error {
		out = append(out, storage.Alarm{Room: string(room), At: time.UnixMilli(ms).UTC()})
		return nil
	})
	if err != nil {
		return nil, wrapErr("due alarms", err)
	}
	return out, nil
}
