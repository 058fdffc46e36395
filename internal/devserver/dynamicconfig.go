package devserver

import (
	"sync/atomic"
	"time"

	"go.temporal.io/server/chasm/lib/activity"
	"go.temporal.io/server/common/dynamicconfig"
)

// devConfig is the server's dynamic config: the static settings below, and
// one switch. The CLI reads search attributes from the database on every
// use, so ones added at run time are usable at once; but that read made
// every workflow.GetVersion (which upserts TemporalChangeVersion) cost a
// database query, and the interpreter ran at a quarter of its speed. So the
// forced read is on only for a while after Start added attributes to an
// existing data folder, until every cached copy has expired.
type devConfig struct {
	static  dynamicconfig.StaticClient
	forceSA atomic.Bool
}

// Constant slices: the server caches conversions by slice.
var (
	forceOn  = []dynamicconfig.ConstrainedValue{{Value: true}}
	forceOff = []dynamicconfig.ConstrainedValue{{Value: false}}
)

// searchAttributeCacheTTL is the server's own (searchattribute.cacheRefreshInterval), plus a margin.
const searchAttributeCacheTTL = 65 * time.Second

func (c *devConfig) GetValue(key dynamicconfig.Key) []dynamicconfig.ConstrainedValue {
	if key == dynamicconfig.ForceSearchAttributesCacheRefreshOnRead.Key() {
		if c.forceSA.Load() {
			return forceOn
		}
		return forceOff
	}
	return c.static.GetValue(key)
}

// refreshSearchAttributesForAWhile turns the forced read on until cached
// search attributes from before an addition have expired.
func (c *devConfig) refreshSearchAttributesForAWhile() {
	c.forceSA.Store(true)
	time.AfterFunc(searchAttributeCacheTTL, func() { c.forceSA.Store(false) })
}

// dynamicConfig returns the static settings: what the Temporal CLI dev
// server (v1.9.1) sets, plus our latency settings. It is a StaticClient,
// which must never be mutated after the server gets it.
func dynamicConfig() dynamicconfig.StaticClient {
	return dynamicconfig.StaticClient{
		// --- From the Temporal CLI dev server ---

		// Host-level mutable state cache: 8k entries is plenty for one
		// developer and keeps memory down (default 128k).
		dynamicconfig.HistoryCacheHostLevelMaxSize.Key(): 8096,
		// Visibility (list/count) calls per namespace: the default of 10 per
		// second is easily hit by the Web UI plus tests polling a list.
		dynamicconfig.FrontendMaxNamespaceVisibilityRPSPerInstance.Key(): 100,
		// Nexus endpoints are read from the database on every use (the
		// CLI's choice; crmflow defines none).
		dynamicconfig.ForceNexusEndpointRefreshOnRead.Key(): true,
		// Persistence rate limits as the CLI raises them (it keeps the
		// default ratio between the two).
		dynamicconfig.FrontendPersistenceMaxQPS.Key(): 10000,
		dynamicconfig.HistoryPersistenceMaxQPS.Key():  45000,
		// CHASM and standalone activities: the CLI turns these on; in server
		// v1.32 the first two already default to true, the last two do not.
		dynamicconfig.EnableChasm.Key():                                          true,
		activity.Enabled.Key():                                                   true,
		activity.EnableStandaloneActivityOperatorCommands.Key():                  true,
		dynamicconfig.FrontendEnableBatchOperationsForStandaloneActivities.Key(): true,

		// --- Ours: idle latency (measured on 2 cores, SQLite) ---

		// The history queue processors are rate limited to 20 polls per
		// second by default, so a task created while idle waits for the
		// next poll slot. Raising the limits took a 5-activity workflow
		// from about 295 ms to about 34 ms end to end; throughput under
		// load is unchanged (it is CPU bound).
		dynamicconfig.TransferProcessorMaxPollRPS.Key():   1000,
		dynamicconfig.TimerProcessorMaxPollRPS.Key():      1000,
		dynamicconfig.VisibilityProcessorMaxPollRPS.Key(): 1000,
		// One partition per task queue: with the default 4, a task can land
		// on a partition no poller is waiting on and wait for forwarding.
		// One process has no use for partitions.
		dynamicconfig.MatchingNumTaskqueueReadPartitions.Key():  1,
		dynamicconfig.MatchingNumTaskqueueWritePartitions.Key(): 1,
		// The timer queue reads timers up to this far ahead of now (1s by
		// default, to absorb clock skew between hosts): a timer due sooner
		// than that fired about a second late. One process has no skew.
		dynamicconfig.TimerProcessorMaxTimeShift.Key(): 20 * time.Millisecond,
	}
}
