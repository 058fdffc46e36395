package models

import "time"

func init() { All = append(All, &Pipeline{}, &PipelineStage{}) }

// Pipeline is a sales process: an ordered list of stages opportunities move through.
type Pipeline struct {
	ID        string          `gorm:"primaryKey;size:36"`
	AccountID string          `gorm:"size:36;not null;index"`
	Name      string          `gorm:"not null"`
	Stages    []PipelineStage `gorm:"foreignKey:PipelineID;constraint:OnDelete:CASCADE"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

// PipelineStage is one stage of a pipeline; Position orders them (0 first).
// Stage ids stay the same across renames and moves, so workflows and
// opportunities can refer to them.
type PipelineStage struct {
	ID         string `gorm:"primaryKey;size:36"`
	AccountID  string `gorm:"size:36;not null;index"`
	PipelineID string `gorm:"size:36;not null;index"`
	Name       string `gorm:"not null"`
	Position   int    `gorm:"not null"`
}
