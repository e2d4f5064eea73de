/* date.c: proleptic Gregorian calendar dates as days since 1970-01-01. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ear.h"

/* Days from civil, after Howard Hinnant's public-domain algorithm. */
ear_date
date_from_ymd(int y, int m, int d)
{
	int	 era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void
date_to_ymd(ear_date z, int *yp, int *mp, int *dp)
{
	int	 era, doe, yoe, y, doy, mp0, d, m;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp0 = (5 * doy + 2) / 153;
	d = doy - (153 * mp0 + 2) / 5 + 1;
	m = mp0 + (mp0 < 10 ? 3 : -9);
	*yp = y + (m <= 2);
	*mp = m;
	*dp = d;
}

static int
date_days_in_month(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return days[m - 1];
}

/* Parse exactly "YYYY-MM-DD" with a real day of a year 1900..9999. */
int
date_parse(const char *s, ear_date *out)
{
	int	 y, m, d, i;

	if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	for (i = 0; i < 10; i++) {
		if (i == 4 || i == 7)
			continue;
		if (s[i] < '0' || s[i] > '9')
			return -1;
	}
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
	    (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 1900 || m < 1 || m > 12 || d < 1 ||
	    d > date_days_in_month(y, m))
		return -1;
	*out = date_from_ymd(y, m, d);
	return 0;
}

void
date_format(ear_date d, char buf[static 11])
{
	int	 y, m, dd;

	if (d == EAR_DATE_INF) {
		strcpy(buf, "infinity");
		return;
	}
	if (d == EAR_DATE_NINF) {
		strcpy(buf, "-infinity");
		return;
	}
	date_to_ymd(d, &y, &m, &dd);
	snprintf(buf, 11, "%04u-%02u-%02u", (unsigned)y % 10000u,
	    (unsigned)m % 100u, (unsigned)dd % 100u);
}

/* Today in UTC. */
ear_date
date_today(void)
{
	time_t	 now = time(NULL);

	return (ear_date)(now / 86400);
}

bool
date_in(ear_date d, ear_date from, ear_date to)
{
	return from <= d && d < to;
}
