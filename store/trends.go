package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/lambdadeck/lambdadeck"
)

// TrendBucket summarises the invocations of one function that started in
// one time bucket [Start, Start+bucket).
type TrendBucket struct {
	Start time.Time
	// Count is every invocation that started in the bucket; Ended those
	// that ran to an end (succeeded, failed, timed out or crashed), which
	// the error rate and the durations are taken over.
	Count, Ended int
	// Errors are the ended ones that did not succeed.
	Errors int
	// Cold counts cold starts; InitAvg and InitMax are over those.
	Cold             int
	InitAvg, InitMax time.Duration
	// P50, P95 and P99 are nearest-rank percentiles (see Percentile) of
	// the ended invocations' durations.
	P50, P95, P99 time.Duration
	// MaxMemoryUsedMB is the largest peak memory of the bucket;
	// MemorySizeMB the largest memory size configured then.
	MaxMemoryUsedMB, MemorySizeMB int
}

// ErrorRate is Errors over Ended, 0 when nothing ended.
func (b TrendBucket) ErrorRate() float64 {
	if b.Ended == 0 {
		return 0
	}
	return float64(b.Errors) / float64(b.Ended)
}

// ColdShare is Cold over Count, 0 when empty.
func (b TrendBucket) ColdShare() float64 {
	if b.Count == 0 {
		return 0
	}
	return float64(b.Cold) / float64(b.Count)
}

// Trends are one function's invocations over [From, To) in buckets, oldest
// first, every bucket present (empty ones too), and Total over the range.
type Trends struct {
	Function string
	From, To time.Time
	Bucket   time.Duration
	Buckets  []TrendBucket
	Total    TrendBucket
}

// MaxTrendBuckets bounds how many buckets one FunctionTrends call makes.
const MaxTrendBuckets = 1000

// trendSQL reads the summary of each invocation of a function in a range
// from the covering index invocations_trend (migration 0017) alone.
const trendSQL = `SELECT started_at, status, duration_us, cold, init_duration_us, max_memory_used_mb, memory_size_mb
	FROM invocations INDEXED BY invocations_trend
	WHERE function = ? AND started_at >= ? AND started_at < ?`

// FunctionTrends summarises the invocations of function that started in
// [from, to), cut in buckets of the given size aligned on from. A range or
// bucket that makes no sense, or more than MaxTrendBuckets buckets, is
// EINVALID.
func (db *DB) FunctionTrends(ctx context.Context, function string, from, to time.Time, bucket time.Duration) (Trends, error) {
	if function == "" {
		return Trends{}, lambdadeck.Errorf(lambdadeck.EINVALID, "trends need a function")
	}
	if bucket <= 0 || !to.After(from) {
		return Trends{}, lambdadeck.Errorf(lambdadeck.EINVALID, "trends need a range that ends after it starts and a positive bucket size")
	}
	n := int((to.Sub(from) + bucket - 1) / bucket)
	if n > MaxTrendBuckets {
		return Trends{}, lambdadeck.Errorf(lambdadeck.EINVALID, "%d buckets are too many (at most %d): choose larger buckets", n, MaxTrendBuckets)
	}
	t := Trends{Function: function, From: from.UTC(), To: to.UTC(), Bucket: bucket, Buckets: make([]TrendBucket, n)}
	for i := range t.Buckets {
		t.Buckets[i].Start = t.From.Add(time.Duration(i) * bucket)
	}
	durations := make([][]int64, n)
	initSum := make([]int64, n)
	var all []int64
	var allInit int64

	fromUS, bucketUS := from.UnixMicro(), bucket.Microseconds()
	rows, err := db.read.QueryContext(ctx, trendSQL, function, fromUS, to.UnixMicro())
	if err != nil {
		return Trends{}, fmt.Errorf("store: trends of %s: %w", function, err)
	}
	defer rows.Close()
	for rows.Next() {
		var startedUS, durationUS, initUS int64
		var status string
		var cold bool
		var maxMem, memSize int
		if err := rows.Scan(&startedUS, &status, &durationUS, &cold, &initUS, &maxMem, &memSize); err != nil {
			return Trends{}, fmt.Errorf("store: trends of %s: %w", function, err)
		}
		i := int((startedUS - fromUS) / bucketUS)
		b := &t.Buckets[i]
		for _, b := range []*TrendBucket{b, &t.Total} {
			b.Count++
			if cold {
				b.Cold++
				b.InitMax = max(b.InitMax, time.Duration(initUS)*time.Microsecond)
			}
			b.MaxMemoryUsedMB = max(b.MaxMemoryUsedMB, maxMem)
			b.MemorySizeMB = max(b.MemorySizeMB, memSize)
		}
		if cold {
			initSum[i] += initUS
			allInit += initUS
		}
		switch lambdadeck.Status(status) {
		case lambdadeck.StatusSucceeded:
		case lambdadeck.StatusFailed, lambdadeck.StatusTimedOut, lambdadeck.StatusCrashed:
			b.Errors++
			t.Total.Errors++
		default:
			continue // no measured end: no duration
		}
		b.Ended++
		t.Total.Ended++
		durations[i] = append(durations[i], durationUS)
		all = append(all, durationUS)
	}
	if err := rows.Err(); err != nil {
		return Trends{}, fmt.Errorf("store: trends of %s: %w", function, err)
	}
	for i := range t.Buckets {
		fillPercentiles(&t.Buckets[i], durations[i], initSum[i])
	}
	fillPercentiles(&t.Total, all, allInit)
	return t, nil
}

// fillPercentiles sets b's duration percentiles from us (sorting it) and
// its mean init duration from the sum.
func fillPercentiles(b *TrendBucket, us []int64, initSumUS int64) {
	slices.Sort(us)
	b.P50 = time.Duration(Percentile(us, 50)) * time.Microsecond
	b.P95 = time.Duration(Percentile(us, 95)) * time.Microsecond
	b.P99 = time.Duration(Percentile(us, 99)) * time.Microsecond
	if b.Cold > 0 {
		b.InitAvg = time.Duration(initSumUS/int64(b.Cold)) * time.Microsecond
	}
}

// Percentile returns the p-th percentile (0 < p <= 100) of sorted by the
// nearest-rank definition: the smallest value that at least p percent of
// the values are less than or equal to, sorted[ceil(p/100*n)-1]. It is
// always one of the values (never an interpolation), so a p99 of 100
// durations is the 99th smallest. It returns 0 for no values.
func Percentile(sorted []int64, p float64) int64 {
	n := len(sorted)
	if n == 0 || p <= 0 {
		return 0
	}
	// Integer arithmetic on hundredths of a percent, so that p=95 of 20
	// values is exactly rank 19 (float 0.95*20 is 18.999...).
	rank := (int64(p*100+0.5)*int64(n) + 9999) / 10000
	rank = min(max(rank, 1), int64(n))
	return sorted[rank-1]
}

// OldestInvocation returns when the function's first recorded invocation
// started (any function when function is empty), and false when it has
// none.
func (db *DB) OldestInvocation(ctx context.Context, function string) (time.Time, bool, error) {
	var us *int64
	var err error
	if function == "" {
		err = db.read.QueryRowContext(ctx, `SELECT min(started_at) FROM invocations`).Scan(&us)
	} else {
		err = db.read.QueryRowContext(ctx, `SELECT min(started_at) FROM invocations WHERE function = ?`, function).Scan(&us)
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("store: oldest invocation: %w", err)
	}
	if us == nil {
		return time.Time{}, false, nil
	}
	return fromMicros(*us), true, nil
}
