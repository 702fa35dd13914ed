/* Skeleton: replaced by the real loader in the next commits. */
#include <errno.h>
#include "compose/compose.h"
#include "compose/compose-json.h"

const char *compose_condition_to_string(ComposeCondition c) { return NULL; }
ComposeCondition compose_condition_from_string(const char *s) { return _COMPOSE_CONDITION_INVALID; }
const char *compose_condition_to_short_string(ComposeCondition c) { return NULL; }
const char *compose_restart_to_string(ComposeRestart r) { return NULL; }
ComposeRestart compose_restart_from_string(const char *s) { return _COMPOSE_RESTART_INVALID; }
void compose_load_options_init(ComposeLoadOptions *opts) { }
int compose_load_options_from_env(ComposeLoadOptions *opts, char * const *env) { return -EOPNOTSUPP; }
void compose_load_options_done(ComposeLoadOptions *opts) { }
int compose_load(const ComposeLoadOptions *opts, ComposeProject **ret_project, ComposeError *ret_error) { return -EOPNOTSUPP; }
int compose_load_string(const char *text, size_t size, const char *file_name, const ComposeLoadOptions *opts, ComposeProject **ret_project, ComposeError *ret_error) { return -EOPNOTSUPP; }
char *compose_error_format(const ComposeError *e) { return NULL; }
void compose_error_done(ComposeError *e) { }
ComposeProject *compose_project_free(ComposeProject *p) { return NULL; }
ComposeProcess *compose_process_free(ComposeProcess *p) { return NULL; }
int compose_process_dup(const ComposeProcess *p, ComposeProcess **ret) { return -EOPNOTSUPP; }
ComposeProcess *compose_project_find_process(const ComposeProject *p, const char *name) { return NULL; }
int compose_project_find_replicas(const ComposeProject *p, const char *base_name, ComposeProcess ***ret) { return -EOPNOTSUPP; }
int compose_process_environment(const ComposeProject *project, const ComposeProcess *process, char * const *os_environ, char ***ret_env, ComposeError *ret_error) { return -EOPNOTSUPP; }
int compose_run_env_cmds(ComposeProject *project, char * const *os_environ) { return -EOPNOTSUPP; }
int compose_select(ComposeProject *project, char * const *names, bool no_deps, ComposeError *ret_error) { return -EOPNOTSUPP; }
int compose_topological_order(const ComposeProject *project, ComposeProcess ***ret) { return -EOPNOTSUPP; }
int compose_dependents(const ComposeProject *project, const char *name, ComposeProcess ***ret) { return -EOPNOTSUPP; }
int compose_find_cycle(const ComposeProject *project, char ***ret_cycle) { return -EOPNOTSUPP; }
int compose_scale(ComposeProject *project, const char *name, int count, char ***ret_removed, char ***ret_added, char ***ret_renamed, ComposeError *ret_error) { return -EOPNOTSUPP; }
char *compose_dry_run_message(const ComposeProject *project) { return NULL; }
char *compose_replica_name(const char *base, int i, int n) { return NULL; }
int compose_project_format_yaml(const ComposeProject *project, char **ret) { return -EOPNOTSUPP; }
cJSON *compose_process_to_json(const ComposeProcess *p) { return NULL; }
int compose_process_from_json(const cJSON *json, ComposeProcess **ret, char **ret_error) { return -EOPNOTSUPP; }
cJSON *compose_project_to_json(const ComposeProject *p) { return NULL; }
int compose_project_from_json(const cJSON *json, ComposeProject **ret, char **ret_error) { return -EOPNOTSUPP; }
