package worker

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/baton-sched/baton/client"
)

// maxCheckpointBytes bounds a checkpoint; the servers refuse larger ones.
const maxCheckpointBytes = 64 << 10

// checkpointFile is where the task keeps its checkpoint ($BATON_CHECKPOINT):
// the last one of the task is there when the attempt starts.
func (at *attempt) checkpointFile() string { return filepath.Join(at.dir, ".baton-checkpoint") }

// checkpointer uploads an attempt's checkpoint file whenever it changed.
type checkpointer struct {
	a     *Agent
	at    *attempt
	last  []byte // what the servers have
	large bool   // the file was too large, and the task's log says so
}

// restore writes the task's last checkpoint where the attempt finds it.
func (c *checkpointer) restore() error {
	if c.at.asg.Checkpoint == "" {
		return nil
	}
	data, err := base64.StdEncoding.DecodeString(c.at.asg.Checkpoint)
	if err != nil {
		return fmt.Errorf("checkpoint from the servers: %w", err)
	}
	c.last = data
	return os.WriteFile(c.at.checkpointFile(), data, 0o600)
}

// watch uploads the checkpoint every interval until done is closed, then
// once more.
func (c *checkpointer) watch(every time.Duration, done <-chan struct{}) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-done:
			c.upload()
			return
		case <-t.C:
			c.upload()
		}
	}
}

// upload queues the checkpoint file as a report if it changed since the
// last upload. The reports of an attempt are delivered in order, so the
// finish comes after its last checkpoint.
func (c *checkpointer) upload() {
	f, err := os.Open(c.at.checkpointFile())
	if errors.Is(err, fs.ErrNotExist) {
		return
	}
	if err != nil {
		c.a.logs.note(c.at.asg.AttemptID, "checkpoint: "+err.Error())
		return
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxCheckpointBytes+1))
	if err != nil || bytes.Equal(data, c.last) {
		return
	}
	if len(data) > maxCheckpointBytes {
		if !c.large {
			c.large = true
			c.a.logs.note(c.at.asg.AttemptID, fmt.Sprintf("BATON_CHECKPOINT is larger than %d bytes: not saved", maxCheckpointBytes))
		}
		return
	}
	c.last = data
	c.a.reports.add(c.at.workerID, client.Report{AttemptID: c.at.asg.AttemptID, Kind: "checkpoint",
		Checkpoint: base64.StdEncoding.EncodeToString(data)})
}
