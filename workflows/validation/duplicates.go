package validation

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// DuplicateKeys names every key given twice in one object of a JSON
// document ({"name": "a", "name": "b"}): encoding/json keeps the last one
// without a word, so one of the two values would be lost. Malformed JSON
// yields nothing here; Decode reports it.
func DuplicateKeys(raw []byte) Errors {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var errs Errors
	if err := walkDuplicates(dec, "", &errs); err != nil {
		return nil
	}
	return errs
}

// walkDuplicates reads one value at path.
func walkDuplicates(dec *json.Decoder, path string, errs *Errors) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]bool{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return err
			}
			key, _ := kt.(string)
			at := join(path, key)
			if seen[key] {
				*errs = append(*errs, FieldError{Path: at, Message: fmt.Sprintf("%q is given twice in this object; give it once", key)})
			}
			seen[key] = true
			if err := walkDuplicates(dec, at, errs); err != nil {
				return err
			}
		}
		_, err = dec.Token() // }
		return err
	case json.Delim('['):
		for i := 0; dec.More(); i++ {
			if err := walkDuplicates(dec, join(path, fmt.Sprintf("[%d]", i)), errs); err != nil {
				return err
			}
		}
		_, err = dec.Token() // ]
		return err
	}
	return nil
}
