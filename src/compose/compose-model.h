/* Internal: helpers on the model of compose.h shared by the loader's files. */
#pragma once

#include <stdarg.h>

#include "compose/compose.h"

void compose_pos_done(ComposePos *p);
int compose_pos_copy(ComposePos *dst, const ComposePos *src);

void compose_kv_free_array(ComposeKV *kv, size_t n);
int compose_kv_copy_array(ComposeKV **dst, size_t *n_dst, const ComposeKV *src, size_t n);
int compose_kv_set(ComposeKV **a, size_t *n, const char *key, const char *value, bool literal);
const ComposeKV *compose_kv_get(const ComposeKV *a, size_t n, const char *key);

void compose_deps_free(ComposeDependency *d, size_t n);
void compose_xprops_free(ComposeXProp *x, size_t n);

int compose_deps_copy(ComposeDependency **dst, size_t *n_dst, const ComposeDependency *src, size_t n);


int compose_project_add_warning(ComposeProject *p, const ComposePos *pos, const char *fmt, ...) _printf_(3, 4);
int compose_project_add_note(ComposeProject *p, const char *fmt, ...) _printf_(2, 3);

/* Defaults that process-compose applies after merging (compat §1.1 step 7 and the probe defaults). */
void compose_probe_apply_defaults(ComposeProbe *p);

/* Findings that are errors in strict projects and warnings otherwise (compat §1.6), collected while
 * decoding and judged during validation. */
typedef struct ComposeFinding {
        ComposePos pos;
        char *message;
} ComposeFinding;

typedef struct ComposeFindings {
        ComposeFinding *items;
        size_t n;
} ComposeFindings;

int compose_findings_add(ComposeFindings *f, const char *file, unsigned line, unsigned column, const char *fmt, ...)
        _printf_(5, 6);
void compose_findings_done(ComposeFindings *f);

/* Decodes one parsed file into a raw project: typed values, no defaults applied (zero = unset, which is
 * what the merge rules need). Wrong types are errors at the value's position. */
struct YamlDoc;
int compose_decode_project(const struct YamlDoc *doc, const char *file, ComposeProject **ret,
                           ComposeFindings *findings, ComposeError *ret_error);

/* The stages of compose_load() after loading (compose-load.c), in the order it runs them. */

/* compose-merge.c: merges the raw projects of the files in order (projects[0] is taken, the others are
 * consumed and stay for the caller to free), then resolves process extends. */
int compose_merge_files(ComposeProject **projects, size_t n_projects, char * const *files, ComposeProject **ret,
                        ComposeError *e);
/* compose-expand.c: defaults, replicas, paths, templates, executable/args. */
int compose_expand(ComposeProject *p, const ComposeLoadOptions *o, const char *cwd, ComposeError *e);
/* Templates, probe defaults and executable/args of one process; stores original_config. */
int compose_finish_process(const ComposeProject *project, ComposeProcess *p, ComposeError *e);
/* compose-validate.c: process-compose's validators; findings of the decoder are judged here. */
int compose_validate(ComposeProject *p, const ComposeFindings *findings, char * const *env, ComposeError *e);
