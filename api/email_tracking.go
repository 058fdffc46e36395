package api

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/crmflow/crmflow/internal/emailtracking"
	"github.com/crmflow/crmflow/internal/installkeys"
)

// pixelGIF is a transparent 1x1 GIF, what an open pixel answers.
var pixelGIF = []byte{
	0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
	0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00,
	0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
}

// emailTrackingRoutes registers the tracked URLs of emails: the open pixel,
// wrapped links and the unsubscribe link. No API key: the signed code in
// the URL is the credential, as for trigger links.
func (s *server) emailTrackingRoutes(e *echo.Echo) {
	if s.opts.EmailTracking == nil {
		s.opts.EmailTracking = &emailtracking.Service{DB: s.db, Keys: &installkeys.Store{DB: s.db}, Contacts: s.contacts,
			Router: s.enrollments, Log: s.log}
	}
	e.GET(emailtracking.OpenPath+":code", s.openEmailPixel)
	e.GET(emailtracking.ClickPath+":code", s.clickEmailLink)
	e.GET(emailtracking.UnsubscribePath+":code", s.unsubscribeEmail)
	// RFC 8058 one-click: mail clients POST to the List-Unsubscribe URL.
	e.POST(emailtracking.UnsubscribePath+":code", s.unsubscribeEmail)
}

func noStore(c echo.Context) {
	h := c.Response().Header()
	h.Set("Cache-Control", "no-store, private")
	h.Set("Referrer-Policy", "no-referrer")
}

// openEmailPixel records an open and answers the 1x1 GIF. A forged or
// unknown code answers 404 (an image that does not load changes nothing
// for the reader).
func (s *server) openEmailPixel(c echo.Context) error {
	code, ok := strings.CutSuffix(c.Param("code"), emailtracking.PixelSuffix)
	if !ok {
		return notFound("image")
	}
	if err := s.opts.EmailTracking.Open(c.Request().Context(), code); err != nil {
		if errors.Is(err, emailtracking.ErrNotFound) {
			return notFound("image")
		}
		return err
	}
	noStore(c)
	return c.Blob(http.StatusOK, "image/gif", pixelGIF)
}

// clickEmailLink records a click and redirects to the link's original URL.
func (s *server) clickEmailLink(c echo.Context) error {
	dest, err := s.opts.EmailTracking.Click(c.Request().Context(), c.Param("code"))
	if errors.Is(err, emailtracking.ErrNotFound) {
		return notFound("link")
	}
	if err != nil {
		return err
	}
	noStore(c)
	return c.Redirect(http.StatusFound, dest)
}

const unsubscribedPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Unsubscribed</title></head>
<body style="font-family: sans-serif; max-width: 32rem; margin: 4rem auto; padding: 0 1rem">
<h1>You are unsubscribed</h1>
<p>You will not receive these emails any more.</p>
</body></html>
`

// unsubscribeEmail sets the contact's email do-not-disturb and answers a
// short page saying so (GET: a person opening the link; POST: a mail
// client's one-click unsubscribe). Doing it again changes nothing.
func (s *server) unsubscribeEmail(c echo.Context) error {
	err := s.opts.EmailTracking.Unsubscribe(c.Request().Context(), c.Param("code"))
	if errors.Is(err, emailtracking.ErrNotFound) {
		return notFound("link")
	}
	if err != nil {
		return err
	}
	noStore(c)
	return c.HTML(http.StatusOK, unsubscribedPage)
}
