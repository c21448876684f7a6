package membership

import (
	"bytes"
	"context"
	"log"
	"log/slog"
)

// newMemberlistLogger turns memberlist's "[LEVEL] memberlist: ..." lines
// into slog records at the matching level.
func newMemberlistLogger(l *slog.Logger) *log.Logger {
	return log.New(levelWriter{l}, "", 0)
}

type levelWriter struct{ l *slog.Logger }

func (w levelWriter) Write(p []byte) (int, error) {
	line := bytes.TrimSpace(p)
	level := slog.LevelDebug
	for prefix, lv := range map[string]slog.Level{"[ERR]": slog.LevelError, "[WARN]": slog.LevelWarn, "[INFO]": slog.LevelDebug} {
		if bytes.HasPrefix(line, []byte(prefix)) {
			level = lv
			line = bytes.TrimSpace(line[len(prefix):])
		}
	}
	if bytes.HasPrefix(line, []byte("[DEBUG]")) {
		line = bytes.TrimSpace(line[len("[DEBUG]"):])
	}
	w.l.Log(context.Background(), level, string(line), "component", "memberlist")
	return len(p), nil
}
