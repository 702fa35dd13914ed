/* What the files of the unit driver share (unit-driver.c: watches and signals; unit-calls.c: the other
 * calls; unit-bus.c: the connection and property parsing). Not for use outside src/unit/. */
#pragma once

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "unit/unit-driver.h"
#include "unit/unit-stats.h"
#include "unit/unit-watch.h"

#define SD_DESTINATION "org.freedesktop.systemd1"
#define SD_PATH "/org/freedesktop/systemd1"
#define SD_MANAGER "org.freedesktop.systemd1.Manager"
#define SD_UNIT_PREFIX "/org/freedesktop/systemd1/unit"

struct UnitWatch {
        UnitDriver *driver;
        UnitEvents events;
        void *userdata;

        UnitWatch *hash_next;
        UnitWatch *dead_next;
        bool dead;

        UnitRun run;               /* the I/O-free engine; run.unit is the unit's name */
        sd_bus_slot *reset_slot;
        sd_bus_slot *start_slot;
        sd_bus_slot *fetch_slot;
        char *cgroup;              /* ControlGroup, learned by unit_driver_read_stats(); NULL: unknown */
        int stats_fds[2];          /* its memory and CPU files, kept open (unit_cgroup_read_stats()) */
};

struct UnitDriver {
        sd_event *event;
        sd_bus *bus;
        UnitManagerScope scope;
        bool private_socket;

        sd_bus_slot *match_job_removed;
        sd_bus_slot *match_unit_removed;
        sd_bus_slot *match_props;
        sd_bus_slot *match_disconnected;

        UnitWatch **buckets;
        size_t n_buckets;
        size_t n_watches;

        unsigned dispatching;      /* > 0 while one of our bus callbacks runs */
        UnitWatch *dead;
        sd_event_source *reap_source;
        UnitCgroupLayout cgroups;  /* where unit_watch_read_stats() finds the files */
};

/* unit-driver.c */
UnitWatch *unit_driver_find_watch(UnitDriver *d, const char *unit);

/* unit-bus.c */
int unit_bus_connect(UnitManagerScope scope, sd_bus **ret, bool *ret_private_socket);
/* Parses an a{sv} as sent by PropertiesChanged and GetAll; strings point into m. */
int unit_props_parse(sd_bus_message *m, UnitProps *p);
