package views

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
)

// TrendRanges are the ranges the trend pages offer, in order.
var TrendRanges = []string{"1h", "24h", "7d", "30d", "all"}

// TrendPoint is one bucket of a function's trends, as the store summed it.
type TrendPoint struct {
	Start                         time.Time
	Count, Ended, Errors, Cold    int
	P50, P95, P99                 time.Duration
	InitAvg, InitMax              time.Duration
	MaxMemoryUsedMB, MemorySizeMB int
}

// TrendData is what the web layer hands over to draw trends.
type TrendData struct {
	Function string
	Range    string // one of TrendRanges
	From, To time.Time
	Bucket   time.Duration
	Points   []TrendPoint
	Total    TrendPoint
}

// TrendsPage is /functions/{name}/trends.
type TrendsPage struct {
	Page
	Trends TrendView
}

// TrendView is the drawn trends: charts and the same numbers as a table.
type TrendView struct {
	Function    string
	Range       string
	Ranges      []string
	BucketLabel string // "5 minutes", "hour", "6 hours", "day"
	From, To    time.Time
	Total       TrendRow
	Rows        []TrendRow
	Charts      []Chart
	Empty       bool
}

// TrendRow is one bucket as text, for the table.
type TrendRow struct {
	Start              string
	Count, Errors      int
	ErrorRate          string
	P50, P95, P99      string
	ColdShare, InitAvg string
	MaxMemory          string
}

// Chart is one SVG chart: bars or lines over the buckets, a y scale from 0
// to YMax, and labels. Coordinates are in the viewBox's units.
type Chart struct {
	ID, Title     string
	Width, Height int
	YMax          string // the label of the top grid line
	YMid          string
	Bars          []Bar
	Lines         []Line
	XLabels       []AxisLabel
	Legend        []LegendItem
}

// Bar is one rectangle, with its numbers as a tooltip (an SVG <title>).
type Bar struct {
	X, Y, W, H string
	Title      string
}

// Line is one series as polyline points, and its marks with tooltips.
type Line struct {
	Class  string
	Name   string
	Points string
	Dashed bool
	Marks  []Mark
}

// Mark is one point of a line with its tooltip.
type Mark struct {
	X, Y  string
	Title string
}

// AxisLabel is a label under the x axis.
type AxisLabel struct {
	X    string
	Text string
}

// LegendItem names a series.
type LegendItem struct {
	Class, Name string
}

// Chart geometry: the plot area inside the viewBox.
const (
	chartWidth  = 720
	chartHeight = 170
	plotLeft    = 56
	plotRight   = 8
	plotTop     = 10
	plotBottom  = 22
)

// NewTrendView draws d. full adds every chart (the trends page); without it
// the function page's panel gets the invocations and durations charts.
func NewTrendView(d TrendData, full bool) TrendView {
	v := TrendView{
		Function:    d.Function,
		Range:       d.Range,
		Ranges:      TrendRanges,
		BucketLabel: bucketLabel(d.Bucket),
		From:        d.From,
		To:          d.To,
		Total:       trendRow(d.Total, d.Bucket),
		Empty:       d.Total.Count == 0,
	}
	for _, p := range d.Points {
		if p.Count > 0 {
			v.Rows = append(v.Rows, trendRow(p, d.Bucket))
		}
	}
	if v.Empty {
		return v
	}
	v.Charts = append(v.Charts, countChart(d), durationChart(d))
	if full {
		v.Charts = append(v.Charts, errorChart(d), coldChart(d), memoryChart(d))
	}
	return v
}

func bucketLabel(b time.Duration) string {
	switch {
	case b == time.Hour:
		return "hour"
	case b == 24*time.Hour:
		return "day"
	case b%(24*time.Hour) == 0:
		return fmt.Sprintf("%d days", b/(24*time.Hour))
	case b%time.Hour == 0:
		return fmt.Sprintf("%d hours", b/time.Hour)
	default:
		return fmt.Sprintf("%d minutes", b/time.Minute)
	}
}

func bucketTime(t time.Time, b time.Duration) string {
	if b >= 24*time.Hour {
		return t.UTC().Format("2006-01-02")
	}
	return t.UTC().Format("2006-01-02 15:04")
}

func trendRow(p TrendPoint, b time.Duration) TrendRow {
	r := TrendRow{
		Start:     bucketTime(p.Start, b),
		Count:     p.Count,
		Errors:    p.Errors,
		ErrorRate: "–",
		P50:       "–", P95: "–", P99: "–",
		ColdShare: percent(p.Cold, p.Count),
		InitAvg:   "–",
		MaxMemory: "–",
	}
	if p.Ended > 0 {
		r.ErrorRate = percent(p.Errors, p.Ended)
		r.P50, r.P95, r.P99 = millis(p.P50), millis(p.P95), millis(p.P99)
	}
	if p.Cold > 0 {
		r.InitAvg = millis(p.InitAvg)
	}
	if p.MemorySizeMB > 0 || p.MaxMemoryUsedMB > 0 {
		r.MaxMemory = fmt.Sprintf("%d / %d MB", p.MaxMemoryUsedMB, p.MemorySizeMB)
	}
	return r
}

func percent(n, of int) string {
	if of == 0 {
		return "–"
	}
	return strconv.FormatFloat(100*float64(n)/float64(of), 'f', 1, 64) + " %"
}

// plot maps bucket i and a value to viewBox coordinates.
type plot struct {
	n    int
	ymax float64
}

func (p plot) slot() float64 {
	return float64(chartWidth-plotLeft-plotRight) / float64(max(p.n, 1))
}

func (p plot) x(i int) float64 { return plotLeft + p.slot()*(float64(i)+0.5) }

func (p plot) y(v float64) float64 {
	h := float64(chartHeight - plotTop - plotBottom)
	if p.ymax <= 0 {
		return plotTop + h
	}
	return plotTop + h - h*min(v, p.ymax)/p.ymax
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }

func newChart(id, title string, d TrendData) Chart {
	c := Chart{ID: id, Title: title, Width: chartWidth, Height: chartHeight}
	// About six labels under the axis, at bucket starts.
	p := plot{n: len(d.Points)}
	every := max(1, (len(d.Points)+5)/6)
	for i := 0; i < len(d.Points); i += every {
		c.XLabels = append(c.XLabels, AxisLabel{X: num(p.x(i)), Text: shortTime(d.Points[i].Start, d.Bucket)})
	}
	return c
}

func shortTime(t time.Time, b time.Duration) string {
	switch {
	case b >= 24*time.Hour:
		return t.UTC().Format("Jan 2")
	case b >= time.Hour:
		return t.UTC().Format("Jan 2 15h")
	default:
		return t.UTC().Format("15:04")
	}
}

// niceMax rounds v up to 1, 2 or 5 times a power of ten, so the top grid
// line reads as a round number.
func niceMax(v float64) float64 {
	if v <= 0 {
		return 1
	}
	m := 1.0
	for m*10 <= v {
		m *= 10
	}
	for m > v*10 {
		m /= 10
	}
	for _, f := range []float64{1, 2, 5, 10} {
		if m*f >= v {
			return m * f
		}
	}
	return m * 10
}

func countChart(d TrendData) Chart {
	c := newChart("chart-count", "Invocations per "+bucketLabel(d.Bucket), d)
	peak := 0
	for _, p := range d.Points {
		peak = max(peak, p.Count)
	}
	pl := plot{n: len(d.Points), ymax: niceMax(float64(peak))}
	c.YMax, c.YMid = num0(pl.ymax), num0(pl.ymax/2)
	w := max(pl.slot()*0.8, 1)
	for i, p := range d.Points {
		if p.Count == 0 {
			continue
		}
		y := pl.y(float64(p.Count))
		c.Bars = append(c.Bars, Bar{X: num(pl.x(i) - w/2), Y: num(y), W: num(w), H: num(pl.y(0) - y),
			Title: fmt.Sprintf("%s: %d invocations, %d errors", bucketTime(p.Start, d.Bucket), p.Count, p.Errors)})
	}
	return c
}

func num0(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// lineChart draws one line per series over the buckets that have a value.
func lineChart(c Chart, d TrendData, unit string, ymax float64, series []struct {
	class, name string
	value       func(TrendPoint) (float64, bool)
	label       func(TrendPoint) string
}) Chart {
	pl := plot{n: len(d.Points), ymax: niceMax(ymax)}
	c.YMax, c.YMid = num0(pl.ymax)+unit, num0(pl.ymax/2)+unit
	for _, s := range series {
		line := Line{Class: s.class, Name: s.name}
		var pts []string
		for i, p := range d.Points {
			v, ok := s.value(p)
			if !ok {
				continue
			}
			x, y := num(pl.x(i)), num(pl.y(v))
			pts = append(pts, x+","+y)
			line.Marks = append(line.Marks, Mark{X: x, Y: y, Title: bucketTime(p.Start, d.Bucket) + ": " + s.name + " " + s.label(p)})
		}
		line.Points = strings.Join(pts, " ")
		c.Lines = append(c.Lines, line)
		c.Legend = append(c.Legend, LegendItem{Class: s.class, Name: s.name})
	}
	return c
}

type series = struct {
	class, name string
	value       func(TrendPoint) (float64, bool)
	label       func(TrendPoint) string
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func durationChart(d TrendData) Chart {
	peak := 0.0
	for _, p := range d.Points {
		if p.Ended > 0 {
			peak = max(peak, ms(p.P99))
		}
	}
	pct := func(get func(TrendPoint) time.Duration) (func(TrendPoint) (float64, bool), func(TrendPoint) string) {
		return func(p TrendPoint) (float64, bool) { return ms(get(p)), p.Ended > 0 },
			func(p TrendPoint) string { return millis(get(p)) }
	}
	v50, l50 := pct(func(p TrendPoint) time.Duration { return p.P50 })
	v95, l95 := pct(func(p TrendPoint) time.Duration { return p.P95 })
	v99, l99 := pct(func(p TrendPoint) time.Duration { return p.P99 })
	return lineChart(newChart("chart-duration", "Duration p50 / p95 / p99", d), d, " ms", peak, []series{
		{"s-p50", "p50", v50, l50}, {"s-p95", "p95", v95, l95}, {"s-p99", "p99", v99, l99},
	})
}

func errorChart(d TrendData) Chart {
	peak := 0.0
	for _, p := range d.Points {
		if p.Ended > 0 {
			peak = max(peak, 100*float64(p.Errors)/float64(p.Ended))
		}
	}
	return lineChart(newChart("chart-errors", "Error rate", d), d, " %", min(max(peak, 1), 100), []series{{
		"s-errors", "error rate",
		func(p TrendPoint) (float64, bool) {
			return 100 * float64(p.Errors) / float64(max(p.Ended, 1)), p.Ended > 0
		},
		func(p TrendPoint) string {
			return percent(p.Errors, p.Ended) + fmt.Sprintf(" (%d of %d)", p.Errors, p.Ended)
		},
	}})
}

func coldChart(d TrendData) Chart {
	peakInit := 0.0
	for _, p := range d.Points {
		peakInit = max(peakInit, ms(p.InitAvg))
	}
	c := lineChart(newChart("chart-cold", "Cold starts: share and mean init duration", d), d, " ms", peakInit, []series{{
		"s-init", "mean init",
		func(p TrendPoint) (float64, bool) { return ms(p.InitAvg), p.Cold > 0 },
		func(p TrendPoint) string { return millis(p.InitAvg) + fmt.Sprintf(" (max %s)", millis(p.InitMax)) },
	}})
	// The share as bars on a 0–100 % scale of their own, named in the
	// tooltips and the legend.
	pl := plot{n: len(d.Points), ymax: 100}
	w := max(pl.slot()*0.8, 1)
	for i, p := range d.Points {
		if p.Cold == 0 {
			continue
		}
		y := pl.y(100 * float64(p.Cold) / float64(p.Count))
		c.Bars = append(c.Bars, Bar{X: num(pl.x(i) - w/2), Y: num(y), W: num(w), H: num(pl.y(0) - y),
			Title: fmt.Sprintf("%s: %d of %d cold (%s)", bucketTime(p.Start, d.Bucket), p.Cold, p.Count, percent(p.Cold, p.Count))})
	}
	c.Legend = append(c.Legend, LegendItem{Class: "s-cold", Name: "cold share (bars, 0–100 %)"})
	return c
}

func memoryChart(d TrendData) Chart {
	peak := 0.0
	for _, p := range d.Points {
		peak = max(peak, float64(p.MemorySizeMB), float64(p.MaxMemoryUsedMB))
	}
	return lineChart(newChart("chart-memory", "Max memory used against the memory size", d), d, " MB", peak, []series{
		{"s-mem", "max memory used",
			func(p TrendPoint) (float64, bool) { return float64(p.MaxMemoryUsedMB), p.Count > 0 },
			func(p TrendPoint) string { return fmt.Sprintf("%d MB", p.MaxMemoryUsedMB) }},
		{"s-limit", "memory size",
			func(p TrendPoint) (float64, bool) { return float64(p.MemorySizeMB), p.Count > 0 },
			func(p TrendPoint) string { return fmt.Sprintf("%d MB", p.MemorySizeMB) }},
	})
}

// trendsURL is the trends page of a function over a range.
func trendsURL(function, rng string) templ.SafeURL {
	u := "/functions/" + url.PathEscape(function) + "/trends"
	if rng != "" {
		u += "?range=" + url.QueryEscape(rng)
	}
	return templ.SafeURL(u)
}

// errorGroupHistoryURL lists the invocations of an error group.
func errorGroupHistoryURL(id int64) templ.SafeURL {
	return templ.SafeURL("/invocations?group=" + strconv.FormatInt(id, 10))
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

func functionSuffix(function string) string {
	if function == "" {
		return ""
	}
	return " for " + function
}

// pinURL is where the permalink's Pin (pin true) or Unpin form posts.
func pinURL(requestID string, pin bool) templ.SafeURL {
	action := "/unpin"
	if pin {
		action = "/pin"
	}
	return templ.SafeURL("/invocations/" + url.PathEscape(requestID) + action)
}
