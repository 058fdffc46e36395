package emailtracking

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/google/uuid"
)

// A code names what a tracked URL does (open, click, unsubscribe), the
// message it belongs to and, for clicks, the original URL, and carries an
// HMAC over all of it: nobody can make up a code, point a click at another
// site (no open redirect) or unsubscribe someone else without the install key.
const (
	codeVersion = 1
	macSize     = 16 // 128 bits
	headerSize  = 1 + 1 + 16
	keyName     = "email_tracking"
	// maxURLLen bounds the URLs wrapped for click tracking; longer ones are
	// left as they are rather than making mail clients choke on the link.
	maxURLLen = 2048
)

// What a code does.
const (
	kindOpen        byte = 'o'
	kindClick       byte = 'c'
	kindUnsubscribe byte = 'u'
)

var errBadCode = errors.New("not a valid email tracking code")

// encode builds the code of a tracked URL of a message.
func encode(key []byte, kind byte, messageID, url string) (string, error) {
	id, err := uuid.Parse(messageID)
	if err != nil {
		return "", fmt.Errorf("message id %q is not a UUID: %w", messageID, err)
	}
	b := make([]byte, 0, headerSize+len(url)+macSize)
	b = append(b, codeVersion, kind)
	b = append(b, id[:]...)
	b = append(b, url...)
	b = append(b, sign(key, b)...)
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// decoded is what a valid code says.
type decoded struct {
	kind      byte
	messageID string
	url       string
}

// decode checks a code's signature and returns what it names.
func decode(key []byte, code string) (decoded, error) {
	if len(code) > base64.RawURLEncoding.EncodedLen(headerSize+maxURLLen+macSize) {
		return decoded{}, errBadCode
	}
	b, err := base64.RawURLEncoding.DecodeString(code)
	if err != nil || len(b) < headerSize+macSize || b[0] != codeVersion {
		return decoded{}, errBadCode
	}
	body, mac := b[:len(b)-macSize], b[len(b)-macSize:]
	if !hmac.Equal(mac, sign(key, body)) {
		return decoded{}, errBadCode
	}
	id, _ := uuid.FromBytes(body[2:headerSize])
	d := decoded{kind: body[1], messageID: id.String(), url: string(body[headerSize:])}
	if (d.kind == kindClick) != (d.url != "") {
		return decoded{}, errBadCode
	}
	return d, nil
}

func sign(key, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("crmflow email tracking\x00"))
	m.Write(body)
	return m.Sum(nil)[:macSize]
}
