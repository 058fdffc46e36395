package testdb

import (
	"testing"

	"github.com/crmflow/crmflow/models"
)

func TestOpenGivesEachTestItsOwnDatabase(t *testing.T) {
	a, b := Open(t), Open(t)
	if err := a.Create(&models.Account{ID: models.NewID(), Name: "a"}).Error; err != nil {
		t.Fatal(err)
	}
	var n int64
	if err := b.Model(&models.Account{}).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("second database sees %d accounts of the first", n)
	}
}
