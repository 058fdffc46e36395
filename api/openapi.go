package api

import (
	_ "embed"
	"net/http"

	"github.com/labstack/echo/v4"
	"sigs.k8s.io/yaml"
)

// openapiYAML documents every route; the package tests check it is valid
// and that it lists exactly the routes New registers.
//
//go:embed openapi.yaml
var openapiYAML []byte

// openapiJSON converts the document once, at startup: YAML is easier to
// keep, JSON is what tools fetch.
func openapiJSON() ([]byte, error) { return yaml.YAMLToJSON(openapiYAML) }

// openapi serves the API description; no auth, so tools can fetch it.
func (s *server) openapi(c echo.Context) error {
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, s.openapiJSON)
}
