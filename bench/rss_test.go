package bench

import (
	"os"
	"testing"
)

func TestParseVmRSS(t *testing.T) {
	status := "Name:\tgateway\nVmPeak:\t  99999 kB\nVmRSS:\t   12345 kB\nThreads:\t8\n"
	got, err := parseVmRSS([]byte(status))
	if err != nil || got != 12345*1024 {
		t.Fatalf("parseVmRSS = %d, %v", got, err)
	}
	for _, bad := range []string{"", "VmRSS:\tlots kB\n", "VmRSS:\t12 MB\n"} {
		if _, err := parseVmRSS([]byte(bad)); err == nil {
			t.Errorf("parseVmRSS(%q) succeeded", bad)
		}
	}
}

func TestReadRSSSelf(t *testing.T) {
	got, err := ReadRSS(os.Getpid())
	if err != nil || got <= 0 {
		t.Fatalf("ReadRSS(self) = %d, %v", got, err)
	}
	s := NewRSSSampler([]Process{{Name: "self", PID: os.Getpid()}, {Name: "gone", PID: 1 << 30}})
	before := s.Sample()
	rep := s.Report(before, s.Sample())
	if rep[0].LoadedBytes <= 0 || rep[0].Error != "" || rep[1].Error == "" {
		t.Fatalf("report = %+v", rep)
	}
}

func TestGroupRSS(t *testing.T) {
	ps := []ProcessRSS{
		{Process: Process{Name: "gateway", PID: 10}, BeforeBytes: 1, LoadedBytes: 5, PerConnBytes: 4, PerRoomBytes: 40},
		{Process: Process{Name: "shard", PID: 11}, BeforeBytes: 2, LoadedBytes: 3, PeakBytes: 4, PerRoomBytes: 10},
		{Process: Process{Name: "shard", PID: 12}, BeforeBytes: 2, LoadedBytes: 5, PeakBytes: 6, PerRoomBytes: 30, Error: "gone"},
	}
	got := GroupRSS(ps)
	want := ProcessRSS{Process: Process{Name: "shard", PID: 2}, BeforeBytes: 4, LoadedBytes: 8, PeakBytes: 10, PerRoomBytes: 40, Error: "gone"}
	if len(got) != 1 || got[0] != want {
		t.Fatalf("GroupRSS = %+v, want [%+v]", got, want)
	}
}
