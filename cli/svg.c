/*
 * svg.c: the report charts, written as SVG by hand (no library): the chip
 * map (TPP x performance density with the 3A090 regions of a date), the
 * compute frontier (training compute over time with the 1e25 and 1e26
 * lines) and the open-weights lag.
 *
 * Each function takes the report's rows as a JSON array of objects (the
 * columns of queries/chip-map.sql, compute-frontier.sql, open-lag.sql) and
 * writes one standalone SVG document.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "earctl.h"

#define SVG_W	960
#define SVG_H	640
#define SVG_L	100	/* plot area margins */
#define SVG_R	40
#define SVG_T	70
#define SVG_B	90

struct svg_axis {
	double	 lo, hi;	/* data range (log axes: the values) */
	bool	 log;
	int	 p0, p1;	/* pixel range */
};

/* Placed labels, to keep new ones off them. */
struct svg_box {
	double	 x0, y0, x1, y1;
};
static struct svg_box	 svg_boxes[256];
static size_t		 svg_nboxes;

/* A data value's pixel on an axis. */
static double
svg_px(const struct svg_axis *a, double v)
{
	double	 t;

	if (a->log)
		t = (log10(v) - log10(a->lo)) / (log10(a->hi) - log10(a->lo));
	else
		t = (v - a->lo) / (a->hi - a->lo);
	return (a->p0 + t * (a->p1 - a->p0));
}

/* Text with XML's special characters escaped. */
static void
svg_text(FILE *f, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f); break;
		}
	}
}

static void
svg_begin(FILE *f, const char *title, const char *subtitle)
{
	svg_nboxes = 0;
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
	    "height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"Helvetica, "
	    "Arial, sans-serif\">\n"
	    "<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n",
	    SVG_W, SVG_H, SVG_W, SVG_H);
	fprintf(f, "<text x=\"%d\" y=\"30\" font-size=\"20\" "
	    "font-weight=\"bold\" fill=\"#222\">", SVG_L);
	svg_text(f, title);
	fprintf(f, "</text>\n<text x=\"%d\" y=\"52\" font-size=\"13\" "
	    "fill=\"#555\">", SVG_L);
	svg_text(f, subtitle);
	fputs("</text>\n", f);
}

/* Format a number for a tick label: 1,000 / 0.1 / 1e25. */
static void
svg_num(double v, char *buf, size_t len)
{
	if (v >= 1e6 || (v > 0 && v < 0.01))
		snprintf(buf, len, "1e%d", (int)lround(log10(v)));
	else if (v >= 1000)
		snprintf(buf, len, "%d,%03d", (int)(v / 1000),
		    (int)fmod(v, 1000));
	else
		snprintf(buf, len, "%g", v);
}

/* Frame, decade grid lines and labels of a log-log or lin-log plot. */
static void
svg_axes(FILE *f, const struct svg_axis *x, const struct svg_axis *y,
    const char *xlabel, const char *ylabel, bool xdates)
{
	double	 v, px;
	char	 buf[32];
	int	 yr;

	fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
	    "fill=\"none\" stroke=\"#333\"/>\n", SVG_L, SVG_T,
	    SVG_W - SVG_L - SVG_R, SVG_H - SVG_T - SVG_B);
	if (x->log) {
		for (v = pow(10, ceil(log10(x->lo))); v <= x->hi * 1.0001;
		    v *= 10) {
			px = svg_px(x, v);
			svg_num(v, buf, sizeof buf);
			fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" "
			    "y2=\"%d\" stroke=\"#ddd\"/>\n<text x=\"%.1f\" "
			    "y=\"%d\" font-size=\"12\" text-anchor=\"middle\" "
			    "fill=\"#333\">%s</text>\n", px, SVG_T, px,
			    SVG_H - SVG_B, px, SVG_H - SVG_B + 18, buf);
		}
	} else if (xdates) {
		for (yr = (int)ceil(x->lo); yr <= (int)floor(x->hi); yr++) {
			px = svg_px(x, yr);
			fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" "
			    "y2=\"%d\" stroke=\"#ddd\"/>\n<text x=\"%.1f\" "
			    "y=\"%d\" font-size=\"12\" text-anchor=\"middle\" "
			    "fill=\"#333\">%d</text>\n", px, SVG_T, px,
			    SVG_H - SVG_B, px, SVG_H - SVG_B + 18, yr);
		}
	}
	if (y->log) {
		for (v = pow(10, ceil(log10(y->lo))); v <= y->hi * 1.0001;
		    v *= 10) {
			px = svg_px(y, v);
			svg_num(v, buf, sizeof buf);
			fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" "
			    "y2=\"%.1f\" stroke=\"#ddd\"/>\n<text x=\"%d\" "
			    "y=\"%.1f\" font-size=\"12\" text-anchor=\"end\" "
			    "fill=\"#333\">%s</text>\n", SVG_L, px,
			    SVG_W - SVG_R, px, SVG_L - 8, px + 4, buf);
		}
	} else {
		double step = (y->hi - y->lo) > 60 ? 12 : 6;

		for (v = ceil(y->lo / step) * step; v <= y->hi; v += step) {
			px = svg_px(y, v);
			fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" "
			    "y2=\"%.1f\" stroke=\"#ddd\"/>\n<text x=\"%d\" "
			    "y=\"%.1f\" font-size=\"12\" text-anchor=\"end\" "
			    "fill=\"#333\">%g</text>\n", SVG_L, px,
			    SVG_W - SVG_R, px, SVG_L - 8, px + 4, v);
		}
	}
	fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"14\" "
	    "text-anchor=\"middle\" fill=\"#222\">", (SVG_L + SVG_W - SVG_R) / 2,
	    SVG_H - SVG_B + 45);
	svg_text(f, xlabel);
	fprintf(f, "</text>\n<text transform=\"translate(%d,%d) rotate(-90)\" "
	    "font-size=\"14\" text-anchor=\"middle\" fill=\"#222\">",
	    28, (SVG_T + SVG_H - SVG_B) / 2);
	svg_text(f, ylabel);
	fputs("</text>\n", f);
}

/* A shaded rectangle between data coordinates. */
static void
svg_region(FILE *f, const struct svg_axis *x, const struct svg_axis *y,
    double x0, double x1, double y0, double y1, const char *fill)
{
	double	 a = svg_px(x, fmax(x0, x->lo)), b = svg_px(x, fmin(x1, x->hi));
	double	 c = svg_px(y, fmin(y1, y->hi)), d = svg_px(y, fmax(y0, y->lo));

	if (b <= a || d <= c)
		return;
	fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
	    "height=\"%.1f\" fill=\"%s\" fill-opacity=\"0.22\"/>\n", a, c,
	    b - a, d - c, fill);
}

/* A dashed threshold line, vertical (x) or horizontal (y), labelled. */
static void
svg_threshold(FILE *f, const struct svg_axis *x, const struct svg_axis *y,
    bool vertical, double v, const char *color, const char *label)
{
	double	 p;

	if (vertical) {
		p = svg_px(x, v);
		fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
		    "stroke=\"%s\" stroke-dasharray=\"6,4\" "
		    "stroke-width=\"1.5\"/>\n<text x=\"%.1f\" y=\"%d\" "
		    "font-size=\"11\" fill=\"%s\" transform=\"rotate(-90 "
		    "%.1f %d)\">", p, SVG_T, p, SVG_H - SVG_B, color, p - 4,
		    SVG_H - SVG_B - 6, color, p - 4, SVG_H - SVG_B - 6);
	} else {
		p = svg_px(y, v);
		fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" "
		    "stroke=\"%s\" stroke-dasharray=\"6,4\" "
		    "stroke-width=\"1.5\"/>\n<text x=\"%d\" y=\"%.1f\" "
		    "font-size=\"12\" fill=\"%s\" text-anchor=\"end\">",
		    SVG_L, p, SVG_W - SVG_R, p, color, SVG_W - SVG_R - 6,
		    p - 5, color);
	}
	(void)y;
	svg_text(f, label);
	fputs("</text>\n", f);
}

/*
 * A point's label: right of it, else left, above or below, whichever
 * first overlaps no label placed before (approximate text width).
 */
static void
svg_label(FILE *f, double px, double py, const char *text, int size)
{
	static const double dx[] = { 7, -7, 0, 0 }, dy[] = { 3, 3, -8, 14 };
	static const char *const anchor[] = { "start", "end", "middle",
	    "middle" };
	struct svg_box	 b;
	double		 w = (text != NULL ? strlen(text) : 0) * size * 0.55;
	size_t		 k, j;
	bool		 clash = true;

	for (k = 0; k < 4 && clash; k++) {
		b.x0 = px + dx[k] - (k == 1 ? w : k >= 2 ? w / 2 : 0);
		b.x1 = b.x0 + w;
		b.y1 = py + dy[k] + 2;
		b.y0 = b.y1 - size - 2;
		clash = b.x1 > SVG_W - SVG_R || b.x0 < SVG_L;
		for (j = 0; j < svg_nboxes && !clash; j++)
			clash = b.x0 < svg_boxes[j].x1 &&
			    svg_boxes[j].x0 < b.x1 &&
			    b.y0 < svg_boxes[j].y1 && svg_boxes[j].y0 < b.y1;
	}
	k = clash ? 0 : k - 1;
	if (svg_nboxes < nitems(svg_boxes))
		svg_boxes[svg_nboxes++] = b;
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%d\" "
	    "text-anchor=\"%s\" fill=\"#333\">", px + dx[k], py + dy[k],
	    size, anchor[k]);
	svg_text(f, text);
	fputs("</text>\n", f);
}

static double
svg_num_of(json_t *o, const char *key)
{
	json_t	*v = json_object_get(o, key);

	if (json_is_number(v))
		return (json_number_value(v));
	if (json_is_string(v))
		return (strtod(json_string_value(v), NULL));
	return (NAN);
}

/* A "YYYY-MM-DD" as a fractional year; NAN if not a date. */
static double
svg_year(json_t *o, const char *key)
{
	const char	*s = json_string_value(json_object_get(o, key));
	ear_date	 d, jan1;
	int		 y, m, dd;

	if (s == NULL || date_parse(s, &d) != 0)
		return (NAN);
	date_to_ymd(d, &y, &m, &dd);
	jan1 = date_from_ymd(y, 1, 1);
	return (y + (d - jan1) / 365.25);
}

/* Legend entry i of n; the first draws the legend's backing. */
static void
svg_legend(FILE *f, int i, int n, const char *fill, bool square,
    const char *label)
{
	int	 x = SVG_L + 10, y = SVG_T + 18 + 18 * i;

	if (i == 0)
		fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"330\" "
		    "height=\"%d\" fill=\"#ffffff\" fill-opacity=\"0.85\" "
		    "stroke=\"#ccc\"/>\n", SVG_L + 4, SVG_T + 4, 18 * n + 8);
	if (square)
		fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" "
		    "fill=\"%s\" fill-opacity=\"0.35\"/>\n", x, y - 10, fill);
	else
		fprintf(f, "<circle cx=\"%d\" cy=\"%d\" r=\"5\" fill=\"%s\"/>\n",
		    x + 6, y - 4, fill);
	fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"12\" fill=\"#222\">",
	    x + 18, y);
	svg_text(f, label);
	fputs("</text>\n", f);
}

/*
 * The chip map: every chip on TPP x PD, log-log, with the 3A090 regions of
 * the text in force on as_of (15 CFR 774 Supp. 1, 3A090):
 * - from 2023-11-17 (88 FR 73458): .a = TPP >= 4800, or TPP >= 1600 and
 *   PD >= 5.92; .b = 2400 <= TPP < 4800 and 1.6 <= PD < 5.92, or
 *   TPP >= 1600 and 3.2 <= PD < 5.92 (Note 2: non-datacenter chips only at
 *   TPP >= 4800);
 * - 2022-10-07 to 2023-11-16 (87 FR 62186): TPP >= 4800 together with an
 *   I/O rate >= 600 GB/s, no density test;
 * - before 2022-10-07: no 3A090.
 */
void
svg_chip_map(FILE *f, json_t *rows, const char *as_of)
{
	struct svg_axis	 x = { 100, 100000, true, SVG_L, SVG_W - SVG_R };
	struct svg_axis	 y = { 0.1, 100, true, SVG_H - SVG_B, SVG_T };
	ear_date	 d, r3, r1;
	json_t		*o;
	size_t		 i, skipped = 0;
	double		 tpp, pd, px, py;
	char		 day[11], sub[256];
	const char	*name;
	bool		 dc;

	if (as_of == NULL || date_parse(as_of, &d) != 0 || d > date_today())
		d = date_today();
	date_format(d, day);
	r3 = date_from_ymd(2023, 11, 17);
	r1 = date_from_ymd(2022, 10, 7);
	for (i = 0; i < json_array_size(rows); i++) {
		o = json_array_get(rows, i);
		tpp = svg_num_of(o, "tpp");
		pd = svg_num_of(o, "pd");
		if (!isnan(tpp) && tpp > x.hi)
			x.hi = pow(10, ceil(log10(tpp)));
		if (!isnan(pd) && pd > y.hi)
			y.hi = pow(10, ceil(log10(pd)));
		if (!isnan(pd) && pd > 0 && pd < y.lo)
			y.lo = pow(10, floor(log10(pd)));
		if (!isnan(tpp) && tpp > 0 && tpp < x.lo)
			x.lo = pow(10, floor(log10(tpp)));
	}
	snprintf(sub, sizeof sub, "3A090 regions of the text in force on %s "
	    "(15 CFR 774 Supp. 1; %s)", day, d >= r3 ? "88 FR 73458" :
	    d >= r1 ? "87 FR 62186" : "none before 2022-10-07");
	svg_begin(f, "Chip map: TPP and performance density", sub);

	if (d >= r3) {
		svg_region(f, &x, &y, 4800, x.hi, y.lo, y.hi, "#d62728");
		svg_region(f, &x, &y, 1600, 4800, 5.92, y.hi, "#d62728");
		svg_region(f, &x, &y, 2400, 4800, 1.6, 5.92, "#ff7f0e");
		svg_region(f, &x, &y, 1600, 2400, 3.2, 5.92, "#ff7f0e");
	} else if (d >= r1)
		svg_region(f, &x, &y, 4800, x.hi, y.lo, y.hi, "#d62728");
	svg_axes(f, &x, &y, "Total processing performance (TPP = dense TOPS "
	    "x bit length, max over precisions)", "Performance density "
	    "(TPP / die area, per mm\xc2\xb2)", false);
	if (d >= r3) {
		svg_threshold(f, &x, &y, true, 1600, "#999", "TPP 1600");
		svg_threshold(f, &x, &y, true, 2400, "#999", "TPP 2400");
		svg_threshold(f, &x, &y, true, 4800, "#b22", "TPP 4800");
		svg_threshold(f, &x, &y, false, 1.6, "#999", "PD 1.6");
		svg_threshold(f, &x, &y, false, 3.2, "#999", "PD 3.2");
		svg_threshold(f, &x, &y, false, 5.92, "#b22", "PD 5.92");
	} else if (d >= r1)
		svg_threshold(f, &x, &y, true, 4800, "#b22",
		    "TPP 4800 (with I/O >= 600 GB/s)");

	for (i = 0; i < json_array_size(rows); i++) {
		o = json_array_get(rows, i);
		tpp = svg_num_of(o, "tpp");
		pd = svg_num_of(o, "pd");
		if (isnan(tpp) || isnan(pd) || tpp <= 0 || pd <= 0) {
			skipped++;
			continue;
		}
		dc = !json_is_false(json_object_get(o, "datacenter"));
		px = svg_px(&x, tpp);
		py = svg_px(&y, pd);
		fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"%s\" "
		    "stroke=\"#fff\"><title>", px, py, dc ? "#1f4e9c" : "#7f7f7f");
		name = json_string_value(json_object_get(o, "name"));
		svg_text(f, name);
		fprintf(f, ": TPP %.0f, PD %.2f</title></circle>\n", tpp, pd);
		svg_label(f, px, py, name, 10);
	}
	if (d >= r3) {
		svg_legend(f, 0, 4, "#d62728", true, "3A090.a");
		svg_legend(f, 1, 4, "#ff7f0e", true, "3A090.b (datacenter chips)");
		svg_legend(f, 2, 4, "#1f4e9c", false, "datacenter chip");
		svg_legend(f, 3, 4, "#7f7f7f", false, "not for datacenters "
		    "(3A090 only at TPP >= 4800, Note 2)");
	} else {
		svg_legend(f, 0, 3, "#d62728", true, d >= r1 ?
		    "3A090 (needs I/O >= 600 GB/s too)" : "no 3A090 yet");
		svg_legend(f, 1, 3, "#1f4e9c", false, "datacenter chip");
		svg_legend(f, 2, 3, "#7f7f7f", false, "not for datacenters");
	}
	fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\" fill=\"#666\">"
	    "%zu chips shown; %zu without die area or performance not shown. "
	    "The engine (POST /v1/checks/chip) is authoritative.</text>\n",
	    SVG_L, SVG_H - 12, json_array_size(rows) - skipped, skipped);
	fputs("</svg>\n", f);
}

/* The span of years of a date column, padded; false if none. */
static bool
svg_year_range(json_t *rows, const char *key, struct svg_axis *x)
{
	size_t	 i;
	double	 yr;
	bool	 any = false;

	x->lo = 1e9;
	x->hi = -1e9;
	for (i = 0; i < json_array_size(rows); i++) {
		yr = svg_year(json_array_get(rows, i), key);
		if (isnan(yr))
			continue;
		any = true;
		x->lo = fmin(x->lo, yr);
		x->hi = fmax(x->hi, yr);
	}
	if (!any) {
		x->lo = 2020;
		x->hi = 2026;
	}
	x->lo = floor(x->lo);
	x->hi = ceil(x->hi + 0.01);
	return (any);
}

/*
 * Training compute over time, log scale, open weights and closed, with the
 * 1e25 line (EU AI Act, Regulation (EU) 2024/1689 Art. 51(2), systemic-risk
 * presumption) and the 1e26 line (15 CFR 774 Supp. 1, 4E091; 90 FR 4544,
 * in the text from 2025-01-13).
 */
void
svg_compute_frontier(FILE *f, json_t *rows)
{
	struct svg_axis	 x = { 0, 0, false, SVG_L, SVG_W - SVG_R };
	struct svg_axis	 y = { 1e22, 1e27, true, SVG_H - SVG_B, SVG_T };
	json_t		*o;
	size_t		 i, labels = 0;
	double		 ops, yr, px, py;
	bool		 open;

	svg_year_range(rows, "date", &x);
	for (i = 0; i < json_array_size(rows); i++) {
		ops = svg_num_of(json_array_get(rows, i), "training_ops");
		if (!isnan(ops) && ops > 0) {
			y.lo = fmin(y.lo, pow(10, floor(log10(ops))));
			y.hi = fmax(y.hi, pow(10, ceil(log10(ops))));
		}
	}
	svg_begin(f, "Compute frontier: training compute of AI models",
	    "Open weights and closed models by publication date; lines at "
	    "1e25 (EU AI Act Art. 51(2)) and 1e26 (4E091, 90 FR 4544)");
	svg_axes(f, &x, &y, "Publication date", "Training compute "
	    "(operations, log scale)", true);
	svg_threshold(f, &x, &y, false, 1e25, "#ff7f0e",
	    "1e25: EU AI Act Art. 51(2) systemic-risk presumption");
	svg_threshold(f, &x, &y, false, 1e26, "#d62728",
	    "1e26: ECCN 4E091 (90 FR 4544, from 2025-01-13)");
	for (i = 0; i < json_array_size(rows); i++) {
		o = json_array_get(rows, i);
		ops = svg_num_of(o, "training_ops");
		yr = svg_year(o, "date");
		if (isnan(ops) || ops <= 0 || isnan(yr))
			continue;
		open = json_is_true(json_object_get(o, "open_weights"));
		px = svg_px(&x, yr);
		py = svg_px(&y, ops);
		fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\" "
		    "fill-opacity=\"0.8\"><title>", px, py, open ? "#2ca02c" :
		    "#6a3d9a");
		svg_text(f, json_string_value(json_object_get(o, "name")));
		fprintf(f, ": %.3g</title></circle>\n", ops);
		if (ops >= 1e25 && labels < 40) {
			labels++;
			svg_label(f, px, py, json_string_value(
			    json_object_get(o, "name")), 9);
		}
	}
	svg_legend(f, 0, 2, "#2ca02c", false, "open weights (published)");
	svg_legend(f, 1, 2, "#6a3d9a", false, "closed (weights not published)");
	fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\" fill=\"#666\">"
	    "Data: the eard registry (Epoch AI, CC-BY 4.0, where imported); "
	    "labels on models at or over 1e25.</text>\n", SVG_L, SVG_H - 12);
	fputs("</svg>\n", f);
}

/*
 * The open-weights lag: for each closed model (x: its date), the months
 * until the first open-weights model with at least its training compute
 * (y); models not yet matched sit on the top edge as open triangles.
 */
void
svg_open_lag(FILE *f, json_t *rows)
{
	struct svg_axis	 x = { 0, 0, false, SVG_L, SVG_W - SVG_R };
	struct svg_axis	 y = { 0, 24, false, SVG_H - SVG_B, SVG_T };
	json_t		*o;
	size_t		 i, unmatched = 0;
	double		 lag, yr, px, py;

	svg_year_range(rows, "closed_date", &x);
	for (i = 0; i < json_array_size(rows); i++) {
		lag = svg_num_of(json_array_get(rows, i), "lag_months");
		if (!isnan(lag)) {
			y.lo = fmin(y.lo, floor(lag / 6) * 6);
			y.hi = fmax(y.hi, ceil(lag / 6) * 6 + 6);
		}
	}
	svg_begin(f, "How far open weights trail closed models",
	    "Months from each closed model to the first open-weights model "
	    "with at least its training compute");
	svg_axes(f, &x, &y, "Closed model's publication date",
	    "Lag (months)", true);
	if (y.lo < 0)
		svg_threshold(f, &x, &y, false, 0, "#999", "open first");
	for (i = 0; i < json_array_size(rows); i++) {
		o = json_array_get(rows, i);
		yr = svg_year(o, "closed_date");
		if (isnan(yr))
			continue;
		lag = svg_num_of(o, "lag_months");
		px = svg_px(&x, yr);
		if (isnan(lag)) {
			unmatched++;
			py = SVG_T + 8;
			fprintf(f, "<path d=\"M%.1f %.1f l5 9 l-10 0 z\" "
			    "fill=\"none\" stroke=\"#d62728\"><title>", px,
			    py - 5);
			svg_text(f, json_string_value(json_object_get(o,
			    "closed_name")));
			fputs(": no open model has caught up</title></path>\n",
			    f);
			svg_label(f, px, py + 10, json_string_value(
			    json_object_get(o, "closed_name")), 9);
			continue;
		}
		py = svg_px(&y, lag);
		fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" "
		    "fill=\"#1f4e9c\" fill-opacity=\"0.8\"><title>", px, py);
		svg_text(f, json_string_value(json_object_get(o,
		    "closed_name")));
		fputs(" -> ", f);
		svg_text(f, json_string_value(json_object_get(o, "open_name")));
		fprintf(f, ": %.1f months</title></circle>\n", lag);
		svg_label(f, px, py, json_string_value(json_object_get(o,
		    "closed_name")), 9);
	}
	svg_legend(f, 0, 2, "#1f4e9c", false, "closed model, matched by an open "
	    "one");
	svg_legend(f, 1, 2, "#ffffff", false, "");
	fprintf(f, "<path d=\"M%d %d l5 9 l-10 0 z\" fill=\"none\" "
	    "stroke=\"#d62728\"/>\n<text x=\"%d\" y=\"%d\" "
	    "font-size=\"12\" fill=\"#222\">not matched yet</text>\n",
	    SVG_L + 16, SVG_T + 27, SVG_L + 28, SVG_T + 36);
	fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\" fill=\"#666\">"
	    "%zu closed models not yet matched (triangles on the top edge). "
	    "Data: the eard registry.</text>\n", SVG_L, SVG_H - 12, unmatched);
	fputs("</svg>\n", f);
}
