/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_abi.c - the version and the growth rule of grt.h: grt_version()
 * reports the GRT_VERSION the headers were generated with (the project
 * version), the caller-allocated structs keep their size, both styles of
 * initialiser run, and grt_stats_get writes its reserved space as 0.
 */
#include "grt_test.h"

#include <stdio.h>

static void check_stats(void *arg)
{
    (void)arg;
    grt_stats st;
    memset(&st, 0xa5, sizeof st); /* what a careless caller might leave */
    CHECK_EQ(grt_stats_get(&st), 0);
    CHECK_GE(st.procs, 1);
    for (size_t i = 0; i < sizeof st.reserved_ / sizeof st.reserved_[0]; i++)
        CHECK_EQ(st.reserved_[i], 0);
}

static int ran;
static void child(void *arg)
{
    __atomic_add_fetch(&ran, *(int *)arg, __ATOMIC_RELAXED);
}

static void spawn_attrs(void *arg)
{
    (void)arg;
    static int one = 1;
    grt_attr designated = {.stack_size = 64 * 1024, .name = "designated"};
    grt_attr zeroed;
    memset(&zeroed, 0, sizeof zeroed);
    CHECK_EQ(grt_go_attr(child, &one, &designated), 0);
    CHECK_EQ(grt_go_attr(child, &one, &zeroed), 0);
    while (__atomic_load_n(&ran, __ATOMIC_RELAXED) < 2)
        grt_yield();
}

int main(void)
{
    CHECK_EQ(GRT_VERSION, GRT_VERSION_MAJOR * 10000 + GRT_VERSION_MINOR * 100 + GRT_VERSION_PATCH);
    CHECK_EQ(grt_version(), GRT_VERSION);
    char v[32];
    snprintf(v, sizeof v, "%d.%d.%d", GRT_VERSION_MAJOR, GRT_VERSION_MINOR, GRT_VERSION_PATCH);
    if (strcmp(v, GRT_TEST_PROJECT_VERSION) != 0)
        TEST_FAIL("header version %s, project version %s", v, GRT_TEST_PROJECT_VERSION);

    /* The sizes old binaries were built with (grt.h's growth rule). */
    CHECK_EQ(sizeof(grt_config), 64);
    CHECK_EQ(sizeof(grt_attr), 64);
    CHECK_EQ(sizeof(grt_stats), 32 * sizeof(int64_t));

    grt_config designated = {.procs = 2, .stack_size = 0};
    CHECK_EQ(grt_run(&designated, check_stats, NULL), 0);
    grt_config zeroed = {0};
    zeroed.procs = 1;
    CHECK_EQ(grt_run(&zeroed, spawn_attrs, NULL), 0);
    CHECK_EQ(ran, 2);
    printf("grt %d (%s): ok\n", grt_version(), v);
    return 0;
}
