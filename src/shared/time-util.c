#include <stdio.h>
#include <string.h>

#include "shared/macro.h"
#include "shared/time-util.h"

usec_t now_usec(clockid_t clock) {
        struct timespec ts;

        if (clock_gettime(clock, &ts) < 0)
                return 0;
        return (usec_t) ts.tv_sec * USEC_PER_SEC + (usec_t) ts.tv_nsec / NSEC_PER_USEC;
}

char *format_rfc3339nano(char *buf, size_t size, usec_t t) {
        time_t sec = (time_t) (t / USEC_PER_SEC);
        unsigned long frac = (unsigned long) (t % USEC_PER_SEC) * 1000UL;
        char date[32], fr[16] = "", zone[32];
        struct tm tm;
        long off;

        if (!localtime_r(&sec, &tm))
                return NULL;
        strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
        if (frac > 0) {
                size_t l;

                snprintf(fr, sizeof fr, ".%09lu", frac);
                l = strlen(fr);
                while (l > 1 && fr[l - 1] == '0')
                        fr[--l] = 0;
        }
        off = tm.tm_gmtoff;
        if (off == 0)
                strcpy(zone, "Z");
        else
                snprintf(zone, sizeof zone, "%c%02ld:%02ld", off < 0 ? '-' : '+', labs(off) / 3600,
                         (labs(off) % 3600) / 60);
        snprintf(buf, size, "%s%s%s", date, fr, zone);
        return buf;
}

char *format_human_duration(char *buf, size_t size, usec_t d) {
        uint64_t s = d / USEC_PER_SEC, m = s / 60, h = m / 60, days = h / 24, y = days / 365;

        if (s < 120)
                snprintf(buf, size, "%llus", (unsigned long long) s);
        else if (m < 10) {
                if (s % 60 == 0)
                        snprintf(buf, size, "%llum", (unsigned long long) m);
                else
                        snprintf(buf, size, "%llum%llus", (unsigned long long) m, (unsigned long long) (s % 60));
        } else if (h < 3)
                snprintf(buf, size, "%llum", (unsigned long long) m);
        else if (h < 8) {
                if (m % 60 == 0)
                        snprintf(buf, size, "%lluh", (unsigned long long) h);
                else
                        snprintf(buf, size, "%lluh%llum", (unsigned long long) h, (unsigned long long) (m % 60));
        } else if (h < 48)
                snprintf(buf, size, "%lluh", (unsigned long long) h);
        else if (h < 24 * 8) {
                if (h % 24 == 0)
                        snprintf(buf, size, "%llud", (unsigned long long) days);
                else
                        snprintf(buf, size, "%llud%lluh", (unsigned long long) days, (unsigned long long) (h % 24));
        } else if (y < 2)
                snprintf(buf, size, "%llud", (unsigned long long) days);
        else if (days % 365 == 0)
                snprintf(buf, size, "%lluy", (unsigned long long) y);
        else
                snprintf(buf, size, "%lluy%llud", (unsigned long long) y, (unsigned long long) (days % 365));
        return buf;
}
