//! A token bucket for ListFindings calls. The arithmetic takes the time as an argument, so
//! it is tested without a clock; [`RateLimiter`] applies it with tokio's.

use std::time::Duration;

use tokio::time::Instant;

/// Up to `per_second` requests a second on average, bursts of up to `max(1, per_second)`.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    per_second: f64,
    capacity: f64,
    tokens: f64,
    last: Duration,
}

impl TokenBucket {
    /// A full bucket. `per_second` must be positive (the command line checks it).
    pub fn new(per_second: f64) -> Self {
        let capacity = per_second.max(1.0);
        TokenBucket {
            per_second,
            capacity,
            tokens: capacity,
            last: Duration::ZERO,
        }
    }

    /// Takes a token for a request at `now` (time since any fixed origin) and says how long
    /// the request must wait before it goes. A token taken ahead of time is owed: the next
    /// request waits for it too, so requests that each wait as told keep to the rate.
    pub fn take(&mut self, now: Duration) -> Duration {
        let elapsed = now.saturating_sub(self.last);
        self.last = self.last.max(now);
        self.tokens = (self.tokens + elapsed.as_secs_f64() * self.per_second).min(self.capacity);
        self.tokens -= 1.0;
        if self.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-self.tokens / self.per_second)
        }
    }
}

/// The bucket against tokio's clock.
#[derive(Debug)]
pub struct RateLimiter {
    bucket: TokenBucket,
    start: Instant,
}

impl RateLimiter {
    pub fn new(per_second: f64) -> Self {
        RateLimiter {
            bucket: TokenBucket::new(per_second),
            start: Instant::now(),
        }
    }

    /// Waits until one more request may go.
    pub async fn acquire(&mut self) {
        let wait = self.bucket.take(self.start.elapsed());
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn a_full_bucket_lets_a_burst_through_then_spaces_requests_at_the_rate() {
        let mut bucket = TokenBucket::new(5.0);
        let waits: Vec<Duration> = (0..7).map(|_| bucket.take(ms(0))).collect();
        assert_eq!(&waits[..5], [Duration::ZERO; 5]);
        // Tokens owed: the 6th waits one interval, the 7th two.
        assert_eq!(waits[5], ms(200));
        assert_eq!(waits[6], ms(400));
    }

    #[test]
    fn requests_that_wait_as_told_keep_to_the_rate() {
        let mut bucket = TokenBucket::new(2.0);
        let mut now = ms(0);
        let mut sent_at = Vec::new();
        for _ in 0..6 {
            now += bucket.take(now);
            sent_at.push(now.as_millis());
        }
        // A burst of two, then one every 500 ms.
        assert_eq!(sent_at, [0, 0, 500, 1000, 1500, 2000]);
    }

    #[test]
    fn idle_time_refills_up_to_the_capacity_only() {
        let mut bucket = TokenBucket::new(2.0);
        assert_eq!(bucket.take(ms(0)), Duration::ZERO);
        assert_eq!(bucket.take(ms(0)), Duration::ZERO);
        // An hour idle refills two tokens, not 7200.
        let later = Duration::from_secs(3600);
        assert_eq!(bucket.take(later), Duration::ZERO);
        assert_eq!(bucket.take(later), Duration::ZERO);
        assert_eq!(bucket.take(later), ms(500));
    }

    #[test]
    fn rates_below_one_a_second_allow_one_request_then_wait() {
        let mut bucket = TokenBucket::new(0.5);
        assert_eq!(bucket.take(ms(0)), Duration::ZERO);
        assert_eq!(bucket.take(ms(500)), ms(1500));
        // A clock that goes backwards never refills.
        assert_eq!(bucket.take(ms(100)), ms(3500));
    }
}
