package storage

import (
	"context"
	"slices"
	"time"
)

// View reads one room's storage as it will be once Batch commits: the
// handler's own buffered writes over the backend (read-your-writes). A nil
// Batch reads the backend as is. View's values are copies the caller owns.
type View struct {
	Reader Reader
	Room   string
	Batch  *Batch
}

// Get returns key's value and whether it exists.
func (v View) Get(ctx context.Context, key string) ([]byte, bool, error) {
	if err := CheckKey(key); err != nil {
		return nil, false, err
	}
	if v.Batch != nil {
		if value, found, decided := v.Batch.Lookup(key); decided {
			return slices.Clone(value), found, nil
		}
	}
	return v.Reader.Get(ctx, v.Room, key)
}

// GetMany returns the values of the keys that exist.
func (v View) GetMany(ctx context.Context, keys []string) (map[string][]byte, error) {
	out := make(map[string][]byte, len(keys))
	var missing []string
	for _, key := range keys {
		if err := CheckKey(key); err != nil {
			return nil, err
		}
		value, found, decided := v.lookup(key)
		switch {
		case !decided:
			missing = append(missing, key)
		case found:
			out[key] = slices.Clone(value)
		}
	}
	if len(missing) == 0 {
		return out, nil
	}
	base, err := v.Reader.GetMany(ctx, v.Room, missing)
	if err != nil {
		return nil, err
	}
	for key, value := range base {
		out[key] = value
	}
	return out, nil
}

// List returns the entries opts selects.
func (v View) List(ctx context.Context, opts ListOptions) ([]KV, error) {
	if v.Batch == nil {
		return v.Reader.List(ctx, v.Room, opts)
	}
	baseOpts, need, err := BaseListOptions(v.Batch, opts)
	if err != nil {
		return nil, err
	}
	var base []KV
	if need {
		if base, err = v.Reader.List(ctx, v.Room, baseOpts); err != nil {
			return nil, err
		}
	}
	out := Overlay(v.Batch, base, opts)
	for i := range out {
		out[i].Value = slices.Clone(out[i].Value)
	}
	return out, nil
}

// GetAlarm returns the alarm time and whether one is set.
func (v View) GetAlarm(ctx context.Context) (time.Time, bool, error) {
	if v.Batch != nil {
		switch a := v.Batch.Alarm(); a.Op {
		case AlarmSet:
			return a.At, true, nil
		case AlarmDelete:
			return time.Time{}, false, nil
		}
	}
	return v.Reader.GetAlarm(ctx, v.Room)
}

func (v View) lookup(key string) (value []byte, found, decided bool) {
	if v.Batch == nil {
		return nil, false, false
	}
	return v.Batch.Lookup(key)
}
