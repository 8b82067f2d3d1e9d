package web

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// loginLimiter rate-limits sign-in attempts with one token bucket
// (golang.org/x/time/rate) per account name and one per client address: a
// guessing loop against one account, or from one address against many,
// is held back either way. Buckets of names that do not exist are kept
// too, so the limit says nothing about which accounts exist.
type loginLimiter struct {
	mu       sync.Mutex
	accounts map[string]*rate.Limiter
	clients  map[string]*rate.Limiter
	now      func() time.Time
}

// The buckets: an account gets 5 attempts, then one every 30 s; a client
// address 20, then one every 10 s. Each table keeps at most maxBuckets
// entries, dropping refilled (idle) ones first.
const (
	accountBurst = 5
	accountEvery = 30 * time.Second
	clientBurst  = 20
	clientEvery  = 10 * time.Second
	maxBuckets   = 10000
)

func newLoginLimiter() *loginLimiter {
	return &loginLimiter{accounts: map[string]*rate.Limiter{}, clients: map[string]*rate.Limiter{}, now: time.Now}
}

// allow takes one attempt for account from client and returns 0, or how
// long to wait before the next attempt is allowed (nothing is taken then).
func (l *loginLimiter) allow(account, client string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	a := l.bucket(l.accounts, account, accountEvery, accountBurst, now)
	c := l.bucket(l.clients, client, clientEvery, clientBurst, now)
	ra, rc := a.ReserveN(now, 1), c.ReserveN(now, 1)
	wait := max(ra.DelayFrom(now), rc.DelayFrom(now))
	if wait > 0 {
		ra.CancelAt(now)
		rc.CancelAt(now)
	}
	return wait
}

func (l *loginLimiter) bucket(table map[string]*rate.Limiter, key string, every time.Duration, burst int, now time.Time) *rate.Limiter {
	if b, ok := table[key]; ok {
		return b
	}
	if len(table) >= maxBuckets {
		for k, b := range table {
			if b.TokensAt(now) >= float64(b.Burst()) {
				delete(table, k)
			}
		}
		if len(table) >= maxBuckets {
			// Every bucket is in use: refuse new keys by sharing one
			// empty bucket, rather than growing without bound.
			if b, ok := table["\x00full"]; ok {
				return b
			}
			b := rate.NewLimiter(rate.Every(every), 1)
			table["\x00full"] = b
			return b
		}
	}
	b := rate.NewLimiter(rate.Every(every), burst)
	table[key] = b
	return b
}
