package contacts

import (
	"fmt"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/crmflow/crmflow/models"
)

// addTags inserts the tags the contact lacks (compared without case) and
// returns them. The insert ignores conflicts, so two concurrent adds of the
// same tag raise one event: only the insert that wrote the row reports it.
func addTags(tx *gorm.DB, c *models.Contact, tags []string) ([]string, error) {
	have := map[string]bool{}
	for _, t := range c.Tags {
		have[strings.ToLower(t.Tag)] = true
	}
	var added []string
	for _, t := range tags {
		t = normalizeTag(t)
		key := strings.ToLower(t)
		if t == "" || have[key] {
			continue
		}
		have[key] = true
		row := models.ContactTag{ContactID: c.ID, Tag: t, AccountID: c.AccountID, TagIndex: key}
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
		if res.Error != nil {
			return nil, fmt.Errorf("adding tag %q: %w", t, res.Error)
		}
		if res.RowsAffected == 1 {
			added = append(added, t)
			c.Tags = append(c.Tags, row)
		}
	}
	return added, nil
}

// removeTags deletes the given tags (compared without case) and returns the
// ones the contact had.
func removeTags(tx *gorm.DB, c *models.Contact, tags []string) ([]string, error) {
	var removed []string
	for _, t := range tags {
		key := strings.ToLower(normalizeTag(t))
		for i, have := range c.Tags {
			if have.TagIndex != key && strings.ToLower(have.Tag) != key {
				continue
			}
			res := tx.Where("contact_id = ? AND tag = ?", c.ID, have.Tag).Delete(&models.ContactTag{})
			if res.Error != nil {
				return nil, fmt.Errorf("removing tag %q: %w", have.Tag, res.Error)
			}
			if res.RowsAffected == 1 {
				removed = append(removed, have.Tag)
			}
			c.Tags = append(c.Tags[:i], c.Tags[i+1:]...)
			break
		}
	}
	return removed, nil
}

// replaceTags makes the contact's tags exactly tags, raising an event for each change.
func replaceTags(tx *gorm.DB, c *models.Contact, tags []string) ([]*models.Event, error) {
	want := map[string]bool{}
	for _, t := range tags {
		want[strings.ToLower(normalizeTag(t))] = true
	}
	var drop []string
	for _, t := range c.Tags {
		if !want[strings.ToLower(t.Tag)] {
			drop = append(drop, t.Tag)
		}
	}
	removed, err := removeTags(tx, c, drop)
	if err != nil {
		return nil, err
	}
	added, err := addTags(tx, c, tags)
	if err != nil {
		return nil, err
	}
	var events []*models.Event
	for _, t := range added {
		events = append(events, newEvent(c, "contact_tag_added", map[string]any{"tag": t}))
	}
	for _, t := range removed {
		events = append(events, newEvent(c, "contact_tag_removed", map[string]any{"tag": t}))
	}
	return events, nil
}
