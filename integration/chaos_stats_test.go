package integration

import (
	"errors"
	"fmt"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Repetitions of the chaos suite. One run of a random-loss scenario is a
// handful of random takeovers: its two-master time varies run to run by
// more than the difference looked for, so `make chaos` repeats the
// scenarios and the suite reports medians, and for the loss scenarios the
// totals behind them (takeovers, seconds per takeover) and the mechanism
// they come from (the master's advert gaps, its answer to a takeover).
//
//	LVSD_CHAOS_RUNS       runs of every scenario (default 1: `make test`)
//	LVSD_CHAOS_LOSS_RUNS  runs of the random-loss scenarios (default LVSD_CHAOS_RUNS)
//	LVSD_CHAOS_ONLY       a regular expression: only the scenarios it matches
type chaosPlan struct {
	runs, lossRuns int
	only           *regexp.Regexp
}

func chaosPlanFromEnv() (chaosPlan, error) {
	pl := chaosPlan{runs: 1}
	num := func(name string, def int) (int, error) {
		v := os.Getenv(name)
		if v == "" {
			return def, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return 0, fmt.Errorf("%s=%q: want a positive integer", name, v)
		}
		return n, nil
	}
	var err error
	if pl.runs, err = num("LVSD_CHAOS_RUNS", 1); err != nil {
		return pl, err
	}
	if pl.lossRuns, err = num("LVSD_CHAOS_LOSS_RUNS", pl.runs); err != nil {
		return pl, err
	}
	if v := os.Getenv("LVSD_CHAOS_ONLY"); v != "" {
		if pl.only, err = regexp.Compile(v); err != nil {
			return pl, fmt.Errorf("LVSD_CHAOS_ONLY: %w", err)
		}
	}
	return pl, nil
}

// runsOf is the number of runs of a scenario (0: not selected).
func (pl chaosPlan) runsOf(sc chaosScenario) int {
	if pl.only != nil && !pl.only.MatchString(sc.name) {
		return 0
	}
	if sc.loss {
		return pl.lossRuns
	}
	return pl.runs
}

// rounds is the number of rounds: a round runs each scenario that still
// has runs left, in the suite's order.
func (pl chaosPlan) rounds() int { return max(pl.runs, pl.lossRuns) }

// chaosMedian is the median (the mean of the two middle values for an
// even count; 0 for none).
func chaosMedian(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// chaosSummary is one scenario's figures for one implementation over its runs.
type chaosSummary struct {
	runs                  int
	dual, none, converged time.Duration // medians (converged: over the runs that converged)
	fault                 time.Duration // median time from the start of the fault to its heal (the test's own commands included)
	dualSum, dualMax      time.Duration
	changes               float64 // median
	takeovers             int     // by n2, all runs
	leftover              int     // runs with a VIP on a non-master after the grace
	neverConverged        int
	gapMax                time.Duration // longest gap between n1's adverts during a fault, all runs
	gapsLate              int           // gaps above 1.5 advert intervals, all runs
	gaps                  int
	answer                time.Duration // median delay from a takeover advert of n2 to n1's next advert
	dualPerTakeover       time.Duration
	dualEvents            int // number of two-master stretches, all runs
	dualEventMedian       time.Duration
	perRunDual            []time.Duration
}

func summarize(figs []chaosFigures) chaosSummary {
	var s chaosSummary
	s.runs = len(figs)
	var duals, nones, convs, answers, events, faults []time.Duration
	var changes []time.Duration
	for _, f := range figs {
		duals = append(duals, f.dual)
		nones = append(nones, f.none)
		faults = append(faults, f.fault)
		changes = append(changes, 2*time.Duration(f.changes)) // counts (doubled: a half survives the median of two)
		if f.converged >= 0 {
			convs = append(convs, f.converged)
		} else {
			s.neverConverged++
		}
		if len(f.leftover) > 0 {
			s.leftover++
		}
		s.dualSum += f.dual
		s.dualMax = max(s.dualMax, f.dual)
		s.takeovers += f.takeovers
		s.gapMax = max(s.gapMax, f.gapMax)
		s.gapsLate += f.gapsLate
		s.gaps += f.gaps
		answers = append(answers, f.answers...)
		events = append(events, f.dualEvents...)
	}
	s.dual, s.none, s.converged = chaosMedian(duals), chaosMedian(nones), chaosMedian(convs)
	s.fault = chaosMedian(faults)
	s.changes = float64(chaosMedian(changes)) / 2
	s.answer = chaosMedian(answers)
	s.dualEvents = len(events)
	s.dualEventMedian = chaosMedian(events)
	if s.takeovers > 0 {
		s.dualPerTakeover = s.dualSum / time.Duration(s.takeovers)
	}
	s.perRunDual = duals
	return s
}

func durList(ds []time.Duration) string {
	var b strings.Builder
	for i, d := range ds {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%.2f", d.Seconds())
	}
	return b.String()
}

// trace returns, for each two-master stretch in [from, to], the adverts
// of n1 and n2 from 1 s before it to 0.2 s after it, in ms relative to its
// start (LVSD_CHAOS_TRACE=1: the mechanism behind a figure).
func (p *chaosPair) trace(from, to time.Time) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var b strings.Builder
	var start time.Time
	emit := func(a, z time.Time) {
		fmt.Fprintf(&b, "%s: two masters %v:", p.kind, z.Sub(a).Round(time.Millisecond))
		type ev struct {
			at   time.Time
			node int
		}
		var evs []ev
		for i := range p.adverts {
			for _, at := range p.adverts[i] {
				if at.After(a.Add(-time.Second)) && at.Before(z.Add(200*time.Millisecond)) {
					evs = append(evs, ev{at, i + 1})
				}
			}
		}
		slices.SortFunc(evs, func(x, y ev) int { return x.at.Compare(y.at) })
		for _, e := range evs {
			fmt.Fprintf(&b, " n%d@%d", e.node, e.at.Sub(a).Milliseconds())
		}
		b.WriteByte('\n')
	}
	for _, s := range p.samples {
		if s.at.Before(from) || s.at.After(to) {
			continue
		}
		dual := s.has[0] && s.has[1]
		switch {
		case dual && start.IsZero():
			start = s.at
		case !dual && !start.IsZero():
			emit(start, s.at)
			start = time.Time{}
		}
	}
	return b.String()
}

// chaosSignificantRuns is the number of runs of a loss scenario from which
// compareLoss decides (`make chaos`).
const chaosSignificantRuns = 10

// compareLoss tells a defect from chance under random loss. Two-master
// time is takeovers (by the backup, which missed Master_Down_Interval of
// adverts) times the seconds each lasts (until the backup hears the
// master). Takeovers are rare independent events, a Poisson count: lvsd's
// count is a defect only when it exceeds keepalived's by more than 2.6
// standard deviations of the difference (about 0.5 % by chance alone).
// The seconds per takeover must stay within 1.5 times keepalived's plus
// half an advert interval.
func compareLoss(l, k chaosSummary) error {
	var errs []error
	diff := float64(l.takeovers - k.takeovers)
	if sd := math.Sqrt(float64(l.takeovers + k.takeovers)); diff > 2.6*sd && diff > 3 {
		errs = append(errs, fmt.Errorf("%d takeovers with lvsd, %d with keepalived over %d runs: %.1f standard deviations",
			l.takeovers, k.takeovers, l.runs, diff/sd))
	}
	if k.takeovers > 0 && l.dualPerTakeover > 3*k.dualPerTakeover/2+chaosAdvert/2 {
		errs = append(errs, fmt.Errorf("two masters for %v per takeover with lvsd, %v with keepalived",
			l.dualPerTakeover.Round(time.Millisecond), k.dualPerTakeover.Round(time.Millisecond)))
	}
	return errors.Join(errs...)
}
