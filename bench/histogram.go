package bench

import (
	"math"
	"math/bits"
	"sync/atomic"
	"time"
)

// Histogram layout: values below 2*histSub are counted exactly; above that
// every power-of-two range is split into histSub linear sub-buckets, so a
// reported value is at most 1/histSub (0.4%) above the true sample.
const (
	histSubBits = 8
	histSub     = 1 << histSubBits
	// histMaxBits bounds trackable values to 2^40 ns (about 18 minutes);
	// larger values are counted in the last bucket and still set Max.
	histMaxBits    = 40
	histMaxShift   = histMaxBits - histSubBits - 1
	histBucketsLen = 2*histSub + histMaxShift*histSub
)

// Histogram records durations in nanoseconds in an HDR-style log-linear
// layout. The zero value is not usable; call NewHistogram. Record is
// lock-free and safe for concurrent use; Snapshot may run concurrently with
// Record and sees a slightly torn but never invalid view.
type Histogram struct {
	counts []atomic.Uint64
	total  atomic.Uint64
	sum    atomic.Uint64
	min    atomic.Uint64
	max    atomic.Uint64
}

// NewHistogram returns an empty histogram.
func NewHistogram() *Histogram {
	h := &Histogram{counts: make([]atomic.Uint64, histBucketsLen)}
	h.min.Store(math.MaxUint64)
	return h
}

// Record adds one sample; negative durations (clock skew) count as zero.
func (h *Histogram) Record(d time.Duration) {
	v := uint64(max(d, 0))
	h.counts[histIndex(v)].Add(1)
	h.total.Add(1)
	h.sum.Add(v)
	for cur := h.min.Load(); v < cur && !h.min.CompareAndSwap(cur, v); cur = h.min.Load() {
	}
	for cur := h.max.Load(); v > cur && !h.max.CompareAndSwap(cur, v); cur = h.max.Load() {
	}
}

// Count returns the number of samples recorded so far.
func (h *Histogram) Count() uint64 { return h.total.Load() }

// Snapshot copies the histogram into a plain value for percentile queries.
func (h *Histogram) Snapshot() *HistogramSnapshot {
	s := &HistogramSnapshot{Counts: make([]uint64, len(h.counts))}
	for i := range h.counts {
		c := h.counts[i].Load()
		s.Counts[i] = c
		s.Total += c
	}
	s.Sum = h.sum.Load()
	s.Min = h.min.Load()
	s.Max = h.max.Load()
	if s.Total == 0 {
		s.Min = 0
	}
	return s
}

// HistogramSnapshot is an immutable copy of a Histogram. Not safe for
// concurrent mutation (Merge); read-only use is safe.
type HistogramSnapshot struct {
	Counts []uint64
	Total  uint64
	Sum    uint64
	Min    uint64
	Max    uint64
}

// Merge adds o's samples into s.
func (s *HistogramSnapshot) Merge(o *HistogramSnapshot) {
	if o == nil || o.Total == 0 {
		return
	}
	if s.Total == 0 || o.Min < s.Min {
		s.Min = o.Min
	}
	s.Max = max(s.Max, o.Max)
	if len(s.Counts) < len(o.Counts) {
		s.Counts = append(s.Counts, make([]uint64, len(o.Counts)-len(s.Counts))...)
	}
	for i, c := range o.Counts {
		s.Counts[i] += c
	}
	s.Total += o.Total
	s.Sum += o.Sum
}

// Quantile returns the value at quantile q in [0, 1]: the smallest recorded
// value v such that at least ceil(q*Total) samples are <= v, reported as the
// upper edge of its bucket and clamped to [Min, Max].
func (s *HistogramSnapshot) Quantile(q float64) time.Duration {
	if s.Total == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(s.Total)))
	rank = min(max(rank, 1), s.Total)
	var seen uint64
	for i, c := range s.Counts {
		seen += c
		if seen >= rank {
			v := min(max(histHighest(i), s.Min), s.Max)
			return time.Duration(v)
		}
	}
	return time.Duration(s.Max)
}

// Mean returns the arithmetic mean of the samples.
func (s *HistogramSnapshot) Mean() time.Duration {
	if s.Total == 0 {
		return 0
	}
	return time.Duration(s.Sum / s.Total)
}

// histIndex maps a value to its bucket.
func histIndex(v uint64) int {
	if v < 2*histSub {
		return int(v)
	}
	shift := bits.Len64(v) - histSubBits - 1
	if shift > histMaxShift {
		return histBucketsLen - 1
	}
	return 2*histSub + (shift-1)*histSub + int(v>>uint(shift)) - histSub
}

// histLowest returns the smallest value that maps to bucket i.
func histLowest(i int) uint64 {
	if i < 2*histSub {
		return uint64(i)
	}
	j := i - 2*histSub
	shift := uint(j/histSub + 1)
	top := uint64(j%histSub + histSub)
	return top << shift
}

// histHighest returns the largest value that maps to bucket i.
func histHighest(i int) uint64 {
	if i < 2*histSub {
		return uint64(i)
	}
	if i == histBucketsLen-1 {
		return math.MaxUint64
	}
	return histLowest(i+1) - 1
}
