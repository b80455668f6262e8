//! Calendar days for the timeline: a day is a count of days since 1970-01-01 (proleptic
//! Gregorian, UTC, as RFC 3339 timestamps in findings are); the calendar is the `time` crate's.

use std::fmt;

use time::format_description::BorrowedFormatItem;
use time::macros::{date, format_description};
use time::{Date, Month};

const ISO_DATE: &[BorrowedFormatItem<'_>] = format_description!("[year]-[month]-[day]");

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(i64);

impl Day {
    /// The day of an RFC 3339 timestamp (or a bare `YYYY-MM-DD`); None if it is not one.
    pub fn parse(timestamp: &str) -> Option<Day> {
        let date = timestamp.get(..10)?;
        if timestamp.len() > 10 && !timestamp[10..].starts_with(['T', 't', ' ']) {
            return None;
        }
        Date::parse(date, ISO_DATE).ok().map(Day::from_date)
    }

    fn from_date(date: Date) -> Day {
        Day(i64::from(
            date.to_julian_day() - date!(1970 - 01 - 01).to_julian_day(),
        ))
    }

    fn date(self) -> Date {
        let julian = i64::from(date!(1970 - 01 - 01).to_julian_day()) + self.0;
        i32::try_from(julian)
            .ok()
            .and_then(|julian| Date::from_julian_day(julian).ok())
            .expect("a day from a four-digit year, a week either side, is in the calendar")
    }

    pub fn plus(self, days: i64) -> Day {
        Day(self.0 + days)
    }

    /// Short label: `Mar 3` for days and weeks, `Mar 2026` for months.
    pub fn label(self, bucketing: Bucketing) -> String {
        let form: &[BorrowedFormatItem<'_>] = match bucketing {
            Bucketing::Day | Bucketing::Week => {
                format_description!("[month repr:short] [day padding:none]")
            }
            Bucketing::Month => format_description!("[month repr:short] [year]"),
        };
        self.date().format(form).expect("a date formats")
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.date().format(ISO_DATE).map_err(|_| fmt::Error)?;
        f.write_str(&text)
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
            Bucketing::Week => day.plus(-i64::from(day.date().weekday().number_days_from_monday())),
            Bucketing::Month => {
                Day::from_date(day.date().replace_day(1).expect("every month has a first"))
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
                    let date = start.date();
                    let (year, month) = match date.month() {
                        Month::December => (date.year() + 1, Month::January),
                        month => (date.year(), month.next()),
                    };
                    // No next month after December 9999: the calendar ends there.
                    match Date::from_calendar_date(year, month, 1) {
                        Ok(first) => Day::from_date(first),
                        Err(_) => break,
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
