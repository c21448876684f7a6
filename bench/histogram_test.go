package bench

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestHistIndexRoundTrip(t *testing.T) {
	values := []uint64{0, 1, 255, 511, 512, 513, 1023, 1024, 4095, 4096, 1e6, 1e9, 123456789, 1<<40 - 1}
	for _, v := range values {
		i := histIndex(v)
		if lo, hi := histLowest(i), histHighest(i); v < lo || v > hi {
			t.Errorf("value %d in bucket %d = [%d, %d]", v, i, lo, hi)
		}
	}
	for i := 0; i < histBucketsLen-1; i++ {
		if histHighest(i)+1 != histLowest(i+1) {
			t.Fatalf("buckets %d and %d not contiguous: %d, %d", i, i+1, histHighest(i), histLowest(i+1))
		}
	}
}

func TestHistogramQuantilesMatchSortedSamples(t *testing.T) {
	tests := []struct {
		name string
		gen  func(r *rand.Rand) time.Duration
		n    int
	}{
		{"uniform-ms", func(r *rand.Rand) time.Duration { return time.Duration(r.Int64N(int64(50 * time.Millisecond))) }, 100_000},
		{"exponential", func(r *rand.Rand) time.Duration { return time.Duration(r.ExpFloat64() * float64(time.Millisecond)) }, 20_000},
		{"tiny", func(r *rand.Rand) time.Duration { return time.Duration(r.IntN(300)) }, 5_000},
		{"few", func(r *rand.Rand) time.Duration { return time.Duration(r.Int64N(int64(time.Second))) }, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, 2))
			h := NewHistogram()
			samples := make([]time.Duration, tt.n)
			for i := range samples {
				samples[i] = tt.gen(r)
				h.Record(samples[i])
			}
			slices.Sort(samples)
			s := h.Snapshot()
			for _, q := range []float64{0, 0.5, 0.9, 0.99, 0.999, 1} {
				rank := max(int(ceilQ(q, len(samples))), 1)
				want := samples[rank-1]
				got := s.Quantile(q)
				hi := want + want/histSub + 1
				if got < want || got > hi {
					t.Errorf("q=%v: got %v, want %v (<= %v)", q, got, want, hi)
				}
			}
			if s.Total != uint64(tt.n) || time.Duration(s.Min) != samples[0] || time.Duration(s.Max) != samples[len(samples)-1] {
				t.Errorf("total/min/max = %d/%d/%d", s.Total, s.Min, s.Max)
			}
		})
	}
}

func ceilQ(q float64, n int) float64 {
	x := q * float64(n)
	if x != float64(int(x)) {
		return float64(int(x) + 1)
	}
	return x
}

func TestHistogramP999Tail(t *testing.T) {
	h := NewHistogram()
	for range 9990 {
		h.Record(time.Millisecond)
	}
	for range 10 {
		h.Record(time.Second)
	}
	s := h.Snapshot()
	if got := s.Quantile(0.999); got > time.Millisecond+time.Millisecond/histSub {
		t.Errorf("p99.9 = %v, want ~1ms (the 9990th of 10000 samples)", got)
	}
	h.Record(time.Second)
	if got := h.Snapshot().Quantile(0.999); got != time.Second {
		t.Errorf("p99.9 with 11 slow samples = %v, want 1s", got)
	}
}

func TestHistogramMergeAndEmpty(t *testing.T) {
	var empty HistogramSnapshot
	if empty.Quantile(0.99) != 0 || empty.Mean() != 0 {
		t.Fatal("empty snapshot should report zeros")
	}
	a, b := NewHistogram(), NewHistogram()
	a.Record(10 * time.Millisecond)
	b.Record(time.Millisecond)
	b.Record(-time.Second)
	s := a.Snapshot()
	s.Merge(b.Snapshot())
	if s.Total != 3 || s.Min != 0 || time.Duration(s.Max) != 10*time.Millisecond {
		t.Fatalf("merged total/min/max = %d/%d/%d", s.Total, s.Min, s.Max)
	}
	h := NewHistogram()
	h.Record(time.Hour)
	if got := h.Snapshot().Quantile(1); got != time.Hour {
		t.Errorf("overflow value reported as %v", got)
	}
}
