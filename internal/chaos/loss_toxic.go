package chaos

import (
	"math/rand/v2"
	"time"

	"github.com/Shopify/toxiproxy/v2/toxics"
)

// lossToxic is a toxiproxy toxic that loses a share of the packets of a
// stream the way TCP sees loss: each chunk of data is, with probability
// Rate, held back for Retransmit before it (and what follows it) goes on.
// Nothing is dropped from the stream, since TCP would resend it.
type lossToxic struct {
	Rate       float64 `json:"rate"`
	Retransmit int64   `json:"retransmit"` // milliseconds
}

func (t *lossToxic) Pipe(stub *toxics.ToxicStub) {
	for {
		select {
		case <-stub.Interrupt:
			return
		case c := <-stub.Input:
			if c == nil {
				stub.Close()
				return
			}
			if rand.Float64() < t.Rate { // #nosec G404 -- a fault model, not a secret
				select {
				case <-time.After(time.Duration(t.Retransmit) * time.Millisecond):
				case <-stub.Interrupt:
					stub.Output <- c // keep the data when the toxic is removed
					return
				}
			}
			stub.Output <- c
		}
	}
}

func init() {
	toxics.Register("loss", new(lossToxic))
}
