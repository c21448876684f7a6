package storage

import "fmt"

// ListOptions selects entries like Durable Objects' storage.list(). Empty
// strings and a zero Limit mean "not set". Keys compare by their bytes.
type ListOptions struct {
	// Prefix keeps only keys that start with it.
	Prefix string
	// Start is the first key to include (inclusive).
	Start string
	// StartAfter is the key to begin after (exclusive); not with Start.
	StartAfter string
	// End is the key to stop before (exclusive).
	End string
	// Reverse returns keys in descending order; Limit then keeps the last ones.
	Reverse bool
	// Limit caps the number of entries returned; 0 means no limit.
	Limit int
}

// KeyRange is the half-open byte range [Lo, Hi) that ListOptions select.
// When HasHi is false the range has no upper bound.
type KeyRange struct {
	Lo    string
	Hi    string
	HasHi bool
}

// Range validates o and returns the key range it selects.
func (o ListOptions) Range() (KeyRange, error) {
	if o.Start != "" && o.StartAfter != "" {
		return KeyRange{}, fmt.Errorf("%w: start and startAfter cannot be combined", ErrInvalidListOptions)
	}
	if o.Limit < 0 {
		return KeyRange{}, fmt.Errorf("%w: limit %d is negative", ErrInvalidListOptions, o.Limit)
	}
	r := KeyRange{Lo: o.Prefix}
	if o.Start > r.Lo {
		r.Lo = o.Start
	}
	if o.StartAfter != "" {
		// The smallest key greater than StartAfter is StartAfter + "\x00".
		if after := o.StartAfter + "\x00"; after > r.Lo {
			r.Lo = after
		}
	}
	if o.Prefix != "" {
		r.Hi, r.HasHi = PrefixEnd(o.Prefix)
	}
	if o.End != "" && (!r.HasHi || o.End < r.Hi) {
		r.Hi, r.HasHi = o.End, true
	}
	return r, nil
}

// Contains reports whether key falls in r.
func (r KeyRange) Contains(key string) bool {
	return key >= r.Lo && (!r.HasHi || key < r.Hi)
}

// Empty reports whether no key can fall in r.
func (r KeyRange) Empty() bool {
	return r.HasHi && r.Hi <= r.Lo
}

// PrefixEnd returns the smallest key greater than every key starting with
// prefix, and false when there is none (prefix is empty or all 0xff bytes).
func PrefixEnd(prefix string) (string, bool) {
	for i := len(prefix) - 1; i >= 0; i-- {
		if prefix[i] != 0xff {
			return prefix[:i] + string([]byte{prefix[i] + 1}), true
		}
	}
	return "", false
}
