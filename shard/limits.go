package shard

// Limits from SPEC §5.
const (
	// MaxTags is the most tags a socket can have.
	MaxTags = 10
	// MaxTagBytes is the longest tag.
	MaxTagBytes = 256
	// MaxAttachmentBytes is the largest socket attachment (DO allows 2 KiB).
	MaxAttachmentBytes = 16 << 10
	// MaxAutoResponseBytes bounds each of an auto-response's request and response.
	MaxAutoResponseBytes = 2 << 10
	// maxCloseReasonBytes is what fits in a WebSocket close frame.
	maxCloseReasonBytes = 123
	// maxSocketIDBytes bounds socket ids from gateways (a UUID is 36).
	maxSocketIDBytes = 128
)

func checkTags(tags []string) error {
	if len(tags) > MaxTags {
		return ErrTooManyTags
	}
	for _, t := range tags {
		if len(t) == 0 || len(t) > MaxTagBytes {
			return ErrTagTooLong
		}
	}
	return nil
}

// checkClose accepts the codes an application may send in a close frame.
func checkClose(code int, reason string) error {
	if len(reason) > maxCloseReasonBytes {
		return ErrBadCloseCode
	}
	switch {
	case code >= 1000 && code <= 1003, code >= 1007 && code <= 1014, code >= 3000 && code <= 4999:
		return nil
	}
	return ErrBadCloseCode
}
