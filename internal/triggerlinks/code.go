package triggerlinks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/google/uuid"
)

// A code names (link, contact) and carries an HMAC over both, so nobody can
// make up or alter a code without the install key. Binary ids keep the URL
// short enough for an SMS: 1 + 16 + 16 + 16 bytes, 66 characters.
const (
	codeVersion = 1
	macSize     = 16 // 128 bits: forging one takes ~2^128 guesses
	codeSize    = 1 + 16 + 16 + macSize
	keyName     = "trigger_links"
)

var errBadCode = errors.New("not a valid trigger link code")

// encode builds the code of a contact's URL of a link.
func encode(key []byte, linkID, contactID string) (string, error) {
	l, err := uuid.Parse(linkID)
	if err != nil {
		return "", fmt.Errorf("trigger link id %q is not a UUID: %w", linkID, err)
	}
	c, err := uuid.Parse(contactID)
	if err != nil {
		return "", fmt.Errorf("contact id %q is not a UUID: %w", contactID, err)
	}
	b := make([]byte, 0, codeSize)
	b = append(b, codeVersion)
	b = append(b, l[:]...)
	b = append(b, c[:]...)
	b = append(b, sign(key, b)...)
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// decode checks a code's signature and returns the ids it names.
func decode(key []byte, code string) (linkID, contactID string, err error) {
	if base64.RawURLEncoding.DecodedLen(len(code)) != codeSize {
		return "", "", errBadCode
	}
	b, err := base64.RawURLEncoding.DecodeString(code)
	if err != nil || len(b) != codeSize || b[0] != codeVersion {
		return "", "", errBadCode
	}
	body, mac := b[:codeSize-macSize], b[codeSize-macSize:]
	if !hmac.Equal(mac, sign(key, body)) {
		return "", "", errBadCode
	}
	l, _ := uuid.FromBytes(body[1:17])
	c, _ := uuid.FromBytes(body[17:33])
	return l.String(), c.String(), nil
}

func sign(key, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("crmflow trigger link\x00"))
	m.Write(body)
	return m.Sum(nil)[:macSize]
}
