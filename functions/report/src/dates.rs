//! Calendar days for the timeline, without a date-time dependency: a day is a count of
//! days since 1970-01-01 (proleptic Gregorian, UTC, as RFC 3339 timestamps in findings are).

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(i64);

impl Day {
    /// The day of an RFC 3339 timestamp (or a bare `YYYY-MM-DD`); None if it is not one.
    pub fn parse(timestamp: &str) -> Option<Day> {
        let date = timestamp.get(..10)?;
        let mut parts = date.split('-');
        let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
        if y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return None;
        }
        let (y, m, d): (i64, u32, u32) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
        if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
            return None;
        }
        if timestamp.len() > 10 && !timestamp[10..].starts_with(['T', 't', ' ']) {
            return None;
        }
        Some(Day::from_civil(y, m, d))
    }

    pub fn from_civil(year: i64, month: u32, day: u32) -> Day {
        // Howard Hinnant's days_from_civil.
        let y = if month <= 2 { year - 1 } else { year };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        Day(era * 146_097 + doe - 719_468)
    }

    pub fn civil(self) -> (i64, u32, u32) {
        let z = self.0 + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        (
            if m <= 2 {
                yoe + era * 400 + 1
            } else {
                yoe + era * 400
            },
            m,
            d,
        )
    }

    pub fn plus(self, days: i64) -> Day {
        Day(self.0 + days)
    }

    /// 0 = Monday … 6 = Sunday.
    fn weekday(self) -> i64 {
        (self.0 + 3).rem_euclid(7)
    }

    /// Short label: `Mar 3` for days and weeks, `Mar 2026` for months.
    pub fn label(self, bucketing: Bucketing) -> String {
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        let (y, m, d) = self.civil();
        let month = MONTHS[m as usize - 1];
        match bucketing {
            Bucketing::Day | Bucketing::Week => format!("{month} {d}"),
            Bucketing::Month => format!("{month} {y}"),
        }
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.civil();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The width of the timeline's buckets: days for up to ~2 months, then ISO weeks
/// (starting Monday) for up to ~2 years, then months, so a chart has at most ~105 bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bucketing {
    Day,
    Week,
    Month,
}

impl Bucketing {
    pub fn for_span(first: Day, last: Day) -> Bucketing {
        match last.0 - first.0 {
            ..=62 => Bucketing::Day,
            63..=728 => Bucketing::Week,
            _ => Bucketing::Month,
        }
    }

    pub fn start_of(self, day: Day) -> Day {
        match self {
            Bucketing::Day => day,
            Bucketing::Week => day.plus(-day.weekday()),
            Bucketing::Month => {
                let (y, m, _) = day.civil();
                Day::from_civil(y, m, 1)
            }
        }
    }

    /// Every bucket start from the one holding `first` to the one holding `last`.
    pub fn starts(self, first: Day, last: Day) -> Vec<Day> {
        let mut starts = Vec::new();
        let mut start = self.start_of(first);
        while start <= last {
            starts.push(start);
            start = match self {
                Bucketing::Day => start.plus(1),
                Bucketing::Week => start.plus(7),
                Bucketing::Month => {
                    let (y, m, _) = start.civil();
                    if m == 12 {
                        Day::from_civil(y + 1, 1, 1)
                    } else {
                        Day::from_civil(y, m + 1, 1)
                    }
                }
            };
        }
        starts
    }

    pub fn noun(self) -> &'static str {
        match self {
            Bucketing::Day => "day",
            Bucketing::Week => "week",
            Bucketing::Month => "month",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_round_trip_through_the_civil_calendar() {
        for text in ["1970-01-01", "2000-02-29", "2024-12-31", "2026-03-01"] {
            let day = Day::parse(text).unwrap();
            assert_eq!(day.to_string(), text);
        }
        assert_eq!(Day::parse("1970-01-02T00:00:00Z"), Some(Day(1)));
        assert_eq!(
            Day::parse("2026-03-01T00:00:00Z")
                .unwrap()
                .plus(1)
                .to_string(),
            "2026-03-02"
        );
    }

    #[test]
    fn non_dates_are_refused() {
        for text in [
            "",
            "2026-02-30",
            "2026-13-01",
            "26-01-01xx",
            "2026-01-01X",
            "yesterday",
        ] {
            assert_eq!(Day::parse(text), None, "{text}");
        }
    }

    #[test]
    fn weeks_start_on_monday_and_months_on_the_first() {
        let wednesday = Day::parse("2026-03-04").unwrap();
        assert_eq!(
            Bucketing::Week.start_of(wednesday).to_string(),
            "2026-03-02"
        );
        assert_eq!(
            Bucketing::Month.start_of(wednesday).to_string(),
            "2026-03-01"
        );
        let starts = Bucketing::Month.starts(
            Day::parse("2025-11-20").unwrap(),
            Day::parse("2026-02-01").unwrap(),
        );
        let starts: Vec<String> = starts.iter().map(Day::to_string).collect();
        assert_eq!(
            starts,
            ["2025-11-01", "2025-12-01", "2026-01-01", "2026-02-01"]
        );
    }

    #[test]
    fn bucketing_widens_with_the_span() {
        let day = Day::parse("2026-01-01").unwrap();
        assert_eq!(Bucketing::for_span(day, day.plus(62)), Bucketing::Day);
        assert_eq!(Bucketing::for_span(day, day.plus(63)), Bucketing::Week);
        assert_eq!(Bucketing::for_span(day, day.plus(800)), Bucketing::Month);
    }
}
