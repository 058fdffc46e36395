package testservers

import "mime"

// mimeDecoder decodes RFC 2047 encoded words in headers.
type mimeDecoder struct{ mime.WordDecoder }

func (d *mimeDecoder) decode(s string) (string, error) { return d.DecodeHeader(s) }
