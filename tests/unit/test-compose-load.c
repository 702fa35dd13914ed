/* Load-level tests: the fixtures of tests/fixtures/compose (compat §6 scenarios), merge rules, replicas,
 * templates, namespaces, extends, JSON files, env_file and the process environment. */
#include <stdarg.h>

#include "compose/compose-json.h"
#include "compose/compose.h"
#include "shared/command-util.h"
#include "shared/strv.h"
#include "shared/time-util.h"
#include "tests.h"

#define STRV_MAKE(...) ((char *[]) { __VA_ARGS__, NULL })

static char *base_env[] = { "PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/root", "OS_ONLY=os", NULL };

static const char *fixdir(void) {
        return test_fixture("compose");
}

/* Loads the named fixtures (NULL-terminated) from tests/fixtures/compose with a fixed environment. */
static int load_opts(ComposeLoadOptions *o, ComposeProject **ret, ComposeError *e, ...) {
        va_list ap;
        const char *f;

        if (!o->working_directory)
                ASSERT_NOT_NULL(o->working_directory = strdup(fixdir()));
        if (!o->environ)
                ASSERT_NOT_NULL(o->environ = strv_copy(base_env));
        va_start(ap, e);
        while ((f = va_arg(ap, const char *)))
                ASSERT_OK(strv_extend(&o->files, f));
        va_end(ap);
        return compose_load(o, ret, e);
}

static ComposeProject *load_ok(const char *file) {
        ComposeLoadOptions o = { .disable_dotenv = true };
        ComposeProject *p = NULL;
        ComposeError e = {};
        int r = load_opts(&o, &p, &e, file, NULL);
        if (r < 0) {
                _cleanup_free_ char *m = compose_error_format(&e);
                TEST_FAIL("loading %s failed: %s", file, strempty(m));
        }
        compose_load_options_done(&o);
        return p;
}

/* Loads YAML text as "process-compose.yaml" in the fixtures directory. */
static int load_text(const char *text, ComposeProject **ret, char **ret_msg) {
        ComposeLoadOptions o = { .disable_dotenv = true };
        ComposeError e = {};
        int r;

        ASSERT_NOT_NULL(o.working_directory = strdup(fixdir()));
        ASSERT_NOT_NULL(o.environ = strv_copy(base_env));
        r = compose_load_string(text, strlen(text), "process-compose.yaml", &o, ret, &e);
        if (ret_msg)
                *ret_msg = r < 0 ? compose_error_format(&e) : NULL;
        compose_error_done(&e);
        compose_load_options_done(&o);
        return r;
}

static ComposeProject *text_ok(const char *text) {
        ComposeProject *p = NULL;
        _cleanup_free_ char *m = NULL;
        if (load_text(text, &p, &m) < 0)
                TEST_FAIL("load failed: %s", strempty(m));
        return p;
}

static void assert_load_error(const char *text, const char *want) {
        ComposeProject *p = NULL;
        _cleanup_free_ char *m = NULL;
        int r = load_text(text, &p, &m);
        if (r >= 0) {
                compose_project_free(p);
                TEST_FAIL("expected error \"%s\", but the load succeeded", want);
        }
        ASSERT_STREQ(m, want);
}

static char *names(const ComposeProject *p) {
        _cleanup_strv_free_ char **l = NULL;
        for (size_t i = 0; i < p->n_processes; i++)
                ASSERT_OK(strv_extend(&l, p->processes[i]->name));
        return strv_join(l, ",");
}

static char *deps(const ComposeProcess *proc) {
        _cleanup_strv_free_ char **l = NULL;
        for (size_t i = 0; i < proc->n_depends_on; i++) {
                char *s;
                ASSERT_TRUE(asprintf(&s, "%s:%s", proc->depends_on[i].name,
                                     compose_condition_to_string(proc->depends_on[i].condition)) > 0);
                ASSERT_OK(strv_consume(&l, s));
        }
        return l ? strv_join(l, ",") : strdup("");
}

#define ASSERT_NAMES(p, want)                                     \
        do {                                                      \
                _cleanup_free_ char *_n_ = names(p);              \
                ASSERT_STREQ(_n_, want);                          \
        } while (0)
#define ASSERT_DEPS(proc, want)                                   \
        do {                                                      \
                _cleanup_free_ char *_d_ = deps(proc);            \
                ASSERT_STREQ(_d_, want);                          \
        } while (0)

static ComposeProcess *get(const ComposeProject *p, const char *name) {
        ComposeProcess *proc = compose_project_find_process(p, name);
        if (!proc)
                TEST_FAIL("no process %s", name);
        return proc;
}

/* ---- §6 scenarios ---- */

TEST(chain_resolves_in_dependency_order) {
        _cleanup_(compose_project_freep) ComposeProject *p = load_ok("chain.yaml");
        _cleanup_free_ ComposeProcess **order = NULL;
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_free_ char *joined = NULL;

        ASSERT_EQ(p->n_processes, 8u);
        ASSERT_OK(compose_topological_order(p, &order));
        for (size_t i = 0; i < p->n_processes; i++)
                ASSERT_OK(strv_extend(&l, order[i]->name));
        joined = strv_join(l, ",");
        ASSERT_STREQ(joined, "process8,process7,process6,process5,process4,process3,process2,process1");
        ASSERT_STREQ(get(p, "process2")->working_dir, "/tmp");
        ASSERT_STREQ(get(p, "process3")->working_dir, "../../");
        ASSERT_STREQ(strv_env_get(p->environment, "ABC"), "222");
        ASSERT_DEPS(get(p, "process1"), "process2:process_completed_successfully");
}

TEST(diamond_resolves) {
        _cleanup_(compose_project_freep) ComposeProject *p = load_ok("chain-rhombus.yaml");
        _cleanup_free_ ComposeProcess **order = NULL, **dependents = NULL;

        ASSERT_OK(compose_topological_order(p, &order));
        ASSERT_STREQ(order[0]->name, "process8");
        ASSERT_STREQ(order[3]->name, "process5");
        ASSERT_EQ(compose_dependents(p, "process8", &dependents), 2);
        ASSERT_STREQ(dependents[0]->name, "process6");
        ASSERT_STREQ(dependents[1]->name, "process7");
        ASSERT_EQ(get(p, "process6")->availability.restart, COMPOSE_RESTART_ON_FAILURE);
        ASSERT_EQ(get(p, "process6")->availability.backoff_seconds, 2);
}

TEST(circular_is_refused_naming_the_cycle) {
        ComposeLoadOptions o = { .disable_dotenv = true };
        ComposeProject *p = NULL;
        ComposeError e = {};
        _cleanup_free_ char *m = NULL;

        ASSERT_ERROR(load_opts(&o, &p, &e, "circular.yaml", NULL), ELOOP);
        m = compose_error_format(&e);
        ASSERT_STREQ(m, "circular.yaml:5:7: circular dependency found in 'process1': process1 -> process2 -> process3 -> process1");
        compose_error_done(&e);
        compose_load_options_done(&o);
        compose_project_free(load_ok("non-circular.yaml"));
}

TEST(namespace_admission_prunes_dependencies) {
        ComposeLoadOptions o = { .disable_dotenv = true };
        _cleanup_(compose_project_freep) ComposeProject *p = NULL;
        ComposeError e = {};

        ASSERT_OK(strv_extend(&o.namespaces, "foo"));
        ASSERT_OK(load_opts(&o, &p, &e, "namespace-deps.yaml", NULL));
        ASSERT_NAMES(p, "foo");
        ASSERT_EQ(get(p, "foo")->n_depends_on, 0u);
        ASSERT_NOT_NULL(p->warnings);
        ASSERT_TRUE(strstr(p->warnings[0], "dependency 'bar' of process 'foo' is outside the selected namespaces"));
        {
                ComposeError se = {};
                ASSERT_ERROR(compose_select(p, STRV_MAKE("bar"), false, &se), ENOENT);
                ASSERT_STREQ(se.message, "no such process: bar");
                compose_error_done(&se);
        }
        compose_load_options_done(&o);
}

static char *load_ns(const char *ns) {
        ComposeLoadOptions o = { .disable_dotenv = true };
        _cleanup_(compose_project_freep) ComposeProject *p = NULL;
        ComposeError e = {};

        if (ns)
                ASSERT_OK(strv_extend(&o.namespaces, ns));
        ASSERT_OK(load_opts(&o, &p, &e, "multi-namespace.yaml", NULL));
        compose_load_options_done(&o);
        return names(p);
}

TEST(multi_namespace) {
        _cleanup_free_ char *a = load_ns("foo"), *b = load_ns("foobar"), *c = load_ns("unknown"), *d = load_ns(NULL),
                            *e = load_ns("default");
        ASSERT_STREQ(a, "foo");
        ASSERT_STREQ(b, "bar,foo");
        ASSERT_STREQ(c, "");
        ASSERT_STREQ(d, "bar,baz,foo,plain");
        ASSERT_STREQ(e, "plain");
}

TEST(process_extends_chain) {
        _cleanup_(compose_project_freep) ComposeProject *p = load_ok("process-extends.yaml");
        ComposeProcess *d = get(p, "derived"), *top = get(p, "chain_top");
        _cleanup_free_ char *env = strv_join(d->environment, ","), *env2 = strv_join(top->environment, ",");

        ASSERT_STREQ(env, "EXTRA=2,FOO=override,SHARED=base");
        ASSERT_STREQ(d->command, "echo base");
        ASSERT_STREQ(d->working_dir, "/tmp");
        ASSERT_EQ(d->availability.restart, COMPOSE_RESTART_ALWAYS);
        ASSERT_NULL(d->extends);
        ASSERT_STREQ(top->command, "echo top");
        ASSERT_STREQ(env2, "EXTRA=2,FOO=override,SHARED=base");
        ASSERT_EQ(top->availability.restart, COMPOSE_RESTART_ALWAYS);
}

TEST(process_extends_errors) {
        assert_load_error("processes:\n  a:\n    extends: a\n",
                          "process-compose.yaml:2:3: process \"a\" cannot extend itself");
        assert_load_error("processes:\n  a:\n    extends: nope\n",
                          "process-compose.yaml:2:3: process \"a\" extends unknown process \"nope\"");
        assert_load_error("processes:\n  a:\n    extends: b\n  b:\n    extends: a\n",
                          "process-compose.yaml:2:3: circular extends detected involving process \"a\"");
}

TEST(file_extends) {
        _cleanup_(compose_project_freep) ComposeProject *p = load_ok("with-extends.yaml");
        ASSERT_EQ(p->n_processes, 9u);
        ASSERT_STREQ(get(p, "process1")->command, "echo extending");
        /* processes of the base file run in the base file's directory */
        ASSERT_STREQ(get(p, "process8")->working_dir, ".");
        ASSERT_STREQ(get(p, "process2")->working_dir, "/tmp");
        ASSERT_STREQ(get(p, "process3")->working_dir, "../..");
        ASSERT_NULL(get(p, "extra")->working_dir);
        ASSERT_EQ(strv_length(p->file_names), 1u);
}

TEST(file_extends_of_an_already_listed_file_fails) {
        ComposeLoadOptions o = { .disable_dotenv = true };
        ComposeProject *p = NULL;
        ComposeError e = {};

        ASSERT_ERROR(load_opts(&o, &p, &e, "chain.yaml", "with-extends.yaml", NULL), EINVAL);
        ASSERT_STREQ(e.message, "project chain.yaml is already specified in files to load");
        compose_error_done(&e);
        compose_load_options_done(&o);
}

TEST(multiple_files_merge) {
        ComposeLoadOptions o = { .disable_dotenv = true };
        _cleanup_(compose_project_freep) ComposeProject *p = NULL;
        ComposeError e = {};
        ComposeProcess *web;
        _cleanup_free_ char *genv = NULL, *penv = NULL, *ns = NULL, *ep = NULL;

        ASSERT_OK(load_opts(&o, &p, &e, "merge-base.yaml", "merge-override.yaml", NULL));
        compose_load_options_done(&o);
        ASSERT_NAMES(p, "cache,db,web");
        web = get(p, "web");
        /* scalars: override wins */
        ASSERT_STREQ(web->command, "echo web2");
        /* lists appended */
        ep = strv_join(web->entrypoint, ",");
        ASSERT_STREQ(ep, "a,b");
        ASSERT_EQ(web->n_success_exit_codes, 2u);
        ASSERT_EQ(web->success_exit_codes[0], 1);
        ASSERT_EQ(web->success_exit_codes[1], 2);
        /* a bool cannot be reset by an override; is_disabled can */
        ASSERT_FALSE(web->disabled);
        ASSERT_STREQ(web->is_disabled, "false");
        /* namespaces replaced */
        ns = strv_join(web->namespaces, ",");
        ASSERT_STREQ(ns, "three");
        /* environment merged by key and sorted; values with '=' kept (unlike process-compose) */
        penv = strv_join(web->environment, ",");
        ASSERT_STREQ(penv, "X=1,Y=2");
        genv = strv_join(p->environment, ",");
        ASSERT_STREQ(genv, "A=base,B=override,C=override,URL=http://x/?a=b");
        /* depends_on merged by key */
        ASSERT_DEPS(web, "db:process_started,cache:process_healthy");
        /* sub-objects merged field by field */
        ASSERT_STREQ(web->readiness_probe->exec->command, "true");
        ASSERT_EQ(web->readiness_probe->period_seconds, 3);
        ASSERT_EQ(web->readiness_probe->timeout_seconds, 4);
        /* vars merged */
        ASSERT_EQ(p->n_vars, 2u);
        ASSERT_EQ(strv_length(p->file_names), 2u);
        /* command + entrypoint: command wins with a warning */
        ASSERT_STREQ(web->executable, "bash");
        ASSERT_TRUE(strv_length(p->warnings) >= 1);
}

TEST(json_config_file) {
        _cleanup_(compose_project_freep) ComposeProject *p = load_ok("project.json");
        ComposeProcess *api = get(p, "api"), *db = get(p, "db");

        ASSERT_STREQ(p->project_name, "json-project");
        ASSERT_STREQ(api->namespaces[0], "svc.api");
        ASSERT_DEPS(api, "db:process_healthy");
        ASSERT_EQ(api->availability.max_restarts, 3);
        ASSERT_EQ(db->readiness_probe->http_get->num_port, 5432);
        ASSERT_STREQ(db->readiness_probe->http_get->path, "/health");
        ASSERT_STREQ(db->readiness_probe->http_get->scheme, "http");
}

TEST(env_file_and_process_environment) {
        _cleanup_(compose_project_freep) ComposeProject *p = load_ok("env-file.yaml");
        _cleanup_strv_free_ char **env = NULL, **env2 = NULL;
        ComposeError e = {};
        ComposeProcess *g = get(p, "greeter");

        /* $$ reaches the shell as $ */
        ASSERT_STREQ(g->command, "echo $GREETING $MY_NAME");
        ASSERT_OK(compose_process_environment(p, g, base_env, &env, &e));
        ASSERT_STREQ(strv_env_get(env, "PC_PROC_NAME"), "greeter");
        ASSERT_STREQ(strv_env_get(env, "PC_REPLICA_NUM"), "0");
        ASSERT_STREQ(strv_env_get(env, "GREETING"), "Hello, my name is");
        /* process environment beats env_file */
        ASSERT_STREQ(strv_env_get(env, "MY_NAME"), "from_environment");
        ASSERT_STREQ(strv_env_get(env, "OS_ONLY"), "os");
        /* no working_dir: env_file is relative to the project directory */
        ASSERT_OK(compose_process_environment(p, get(p, "reader"), base_env, &env2, &e));
        ASSERT_STREQ(strv_env_get(env2, "MY_NAME"), "Inigo_Montoya");
}

TEST(environment_precedence) {
        _cleanup_(compose_project_freep) ComposeProject *p = NULL;
        _cleanup_strv_free_ char **env = NULL, **os = strv_copy(base_env);
        ComposeError e = {};
        ComposeProcess *a;

        p = text_ok("environment: [\"G=global\", \"HOME=global-home\", \"OV=global\"]\n"
                    "processes:\n"
                    "  a:\n"
                    "    command: x\n"
                    "    environment: [\"OV=process\", \"PC_PROC_NAME=mine\"]\n");
        p->disable_dotenv = false;
        ASSERT_OK(strv_extend(&p->dot_env_vars, "DOT=dot"));
        ASSERT_OK(strv_extend(&p->dot_env_vars, "OS_ONLY=dot-loses"));
        ASSERT_OK(strv_extend(&p->env_cmds_environment, "CMD=cmd"));
        a = get(p, "a");
        ASSERT_OK(compose_process_environment(p, a, os, &env, &e));
        ASSERT_STREQ(strv_env_get(env, "DOT"), "dot");
        ASSERT_STREQ(strv_env_get(env, "OS_ONLY"), "os");        /* OS env > .env */
        ASSERT_STREQ(strv_env_get(env, "HOME"), "global-home");  /* global env > OS env */
        ASSERT_STREQ(strv_env_get(env, "OV"), "process");        /* process env > global */
        ASSERT_STREQ(strv_env_get(env, "PC_PROC_NAME"), "mine"); /* everything > builtins */
        ASSERT_STREQ(strv_env_get(env, "CMD"), "cmd");
        /* is_dotenv_disabled drops the .env vars only */
        a->is_dotenv_disabled = true;
        env = strv_free(env);
        ASSERT_OK(compose_process_environment(p, a, os, &env, &e));
        ASSERT_NULL(strv_env_get(env, "DOT"));
}

TEST(templates_and_replicas) {
        _cleanup_(compose_project_freep) ComposeProject *p = load_ok("templates.yaml");
        ComposeProcess *w1 = get(p, "web-1"), *lit = get(p, "literal");
        _cleanup_strv_free_ char **env = NULL;
        ComposeError e = {};

        ASSERT_NAMES(p, "literal,web-0,web-1,web-2");
        ASSERT_STREQ(w1->command, "echo hi from 1 on 8001");
        ASSERT_STREQ(w1->working_dir, "/tmp/web-1");
        ASSERT_STREQ(w1->log_location, "/tmp/web.1.log");
        ASSERT_STREQ(w1->environment[0], "REPL=1");
        ASSERT_STREQ(w1->readiness_probe->http_get->port, "8001");
        ASSERT_EQ(w1->readiness_probe->http_get->num_port, 8001);
        ASSERT_STREQ(w1->base_name, "web");
        ASSERT_EQ(w1->replica_num, 1);
        ASSERT_EQ(w1->replicas, 3);
        ASSERT_STREQ(w1->args[1], "echo hi from 1 on 8001");
        ASSERT_OK(compose_process_environment(p, w1, base_env, &env, &e));
        ASSERT_STREQ(strv_env_get(env, "PC_PROC_NAME"), "web");
        ASSERT_STREQ(strv_env_get(env, "PC_REPLICA_NUM"), "1");
        ASSERT_STREQ(lit->command, "echo {{ .NOT_RENDERED }}");
        ASSERT_STREQ(lit->description, "<no value>");
}

TEST(replica_naming) {
        _cleanup_free_ char *a = compose_replica_name("web", 0, 1), *b = compose_replica_name("web", 1, 2),
                            *c = compose_replica_name("web", 3, 10), *d = compose_replica_name("web", 42, 100),
                            *f = compose_replica_name("web", 9, 9);
        ASSERT_STREQ(a, "web");
        ASSERT_STREQ(b, "web-1");
        ASSERT_STREQ(c, "web-03");
        ASSERT_STREQ(d, "web-042");
        ASSERT_STREQ(f, "web-9");
}

TEST(dependencies_on_replicas_expand) {
        _cleanup_(compose_project_freep) ComposeProject *p = NULL;
        p = text_ok("processes:\n"
                    "  web:\n    command: x\n    replicas: 2\n"
                    "  all:\n    command: x\n    depends_on:\n      web:\n        condition: process_started\n"
                    "  one:\n    command: x\n    depends_on:\n      web-1:\n        condition: process_healthy\n"
                    "      web:\n        condition: process_started\n"
                    "  solo:\n    command: x\n    replicas: 1\n"
                    "  on_solo:\n    command: x\n    depends_on:\n      solo:\n");
        ASSERT_DEPS(get(p, "all"), "web-0:process_started,web-1:process_started");
        ASSERT_DEPS(get(p, "one"), "web-1:process_healthy,web-0:process_started");
        ASSERT_DEPS(get(p, "on_solo"), "solo:process_completed");
}

TEST(scale) {
        _cleanup_(compose_project_freep) ComposeProject *p = load_ok("scale.yaml");
        _cleanup_strv_free_ char **removed = NULL, **added = NULL, **renamed = NULL;
        ComposeError e = {};

        ASSERT_NAMES(p, "process1-0,process1-1,process2,process3,watcher");
        ASSERT_OK(compose_scale(p, "process1-0", 10, &removed, &added, &renamed, &e));
        ASSERT_EQ(p->n_processes, 13u);
        ASSERT_EQ(strv_length(added), 8u);
        ASSERT_STREQ(renamed[0], "process1-0");
        ASSERT_STREQ(renamed[1], "process1-00");
        ASSERT_STREQ(get(p, "process1-07")->command, "echo process1 7");
        ASSERT_EQ(get(p, "process1-07")->replica_num, 7);
        ASSERT_DEPS(get(p, "process1-09"), "process2:process_completed_successfully");
        /* the dependent follows the rename */
        ASSERT_DEPS(get(p, "watcher"), "process1-00:process_started,process1-01:process_started");

        ASSERT_ERROR(compose_scale(p, "process1-00", 0, NULL, NULL, NULL, &e), EINVAL);
        ASSERT_STREQ(e.message, "cannot scale process process1-00 to a negative or zero value 0");
        compose_error_done(&e);

        removed = strv_free(removed);
        renamed = strv_free(renamed);
        added = strv_free(added);
        ASSERT_OK(compose_scale(p, "process1-00", 1, &removed, &added, &renamed, &e));
        ASSERT_EQ(strv_length(removed), 9u);
        ASSERT_NAMES(p, "process1,process2,process3,watcher");
        ASSERT_STREQ(get(p, "process1")->command, "echo process1 0");

        ASSERT_OK(compose_scale(p, "process2", 5, NULL, NULL, NULL, &e));
        ASSERT_NAMES(p, "process1,process2-0,process2-1,process2-2,process2-3,process2-4,process3,watcher");
        ASSERT_EQ(compose_scale(p, "process2-0", 5, NULL, NULL, NULL, &e), 1);
        ASSERT_ERROR(compose_scale(p, "process2-00", 2, NULL, NULL, NULL, &e), ENOENT);
        ASSERT_STREQ(e.message, "no such process: process2-00");
        compose_error_done(&e);
}

TEST(select_processes) {
        _cleanup_(compose_project_freep) ComposeProject *p = load_ok("transitive-dep.yaml");
        ComposeError e = {};

        ASSERT_OK(compose_select(p, STRV_MAKE("procC"), false, &e));
        ASSERT_FALSE(get(p, "procA")->disabled);
        ASSERT_FALSE(get(p, "procB")->disabled);
        ASSERT_FALSE(get(p, "procC")->disabled);
        ASSERT_TRUE(get(p, "other")->disabled);

        ASSERT_OK(compose_select(p, STRV_MAKE("procA"), false, &e));
        ASSERT_FALSE(get(p, "procA")->disabled);
        ASSERT_TRUE(get(p, "procB")->disabled);
        ASSERT_TRUE(get(p, "procC")->disabled);

        ASSERT_OK(compose_select(p, STRV_MAKE("procC"), true, &e));
        ASSERT_TRUE(get(p, "procA")->disabled);
        ASSERT_TRUE(get(p, "procB")->disabled);
        ASSERT_FALSE(get(p, "procC")->disabled);
        ASSERT_EQ(get(p, "procC")->n_depends_on, 0u);

        ASSERT_ERROR(compose_select(p, STRV_MAKE("nope"), false, &e), ENOENT);
        ASSERT_STREQ(e.message, "no such process: nope");
        compose_error_done(&e);
}

TEST(x_systemd_properties_keep_order_and_positions) {
        _cleanup_(compose_project_freep) ComposeProject *p = load_ok("x-systemd.yaml");
        ComposeProcess *w = get(p, "worker");

        ASSERT_EQ(w->n_x_systemd, 3u);
        ASSERT_STREQ(w->x_systemd[0].key, "CPUQuota");
        ASSERT_STREQ(w->x_systemd[0].value, "50%");
        ASSERT_EQ(w->x_systemd[0].line, 8u);
        ASSERT_EQ(w->x_systemd[0].column, 17u);
        ASSERT_STREQ(w->x_systemd[0].file, "x-systemd.yaml");
        ASSERT_STREQ(w->x_systemd[1].key, "Nice");
        ASSERT_STREQ(w->x_systemd[1].value, "5");
        /* merged from the anchor, after the explicit keys */
        ASSERT_STREQ(w->x_systemd[2].key, "MemoryMax");
        ASSERT_STREQ(w->x_systemd[2].value, "512M");
        ASSERT_EQ(w->x_systemd[2].line, 2u);
}

TEST(dry_run_message) {
        _cleanup_(compose_project_freep) ComposeProject *p = load_ok("templates.yaml");
        _cleanup_free_ char *m = compose_dry_run_message(p);
        ASSERT_STREQ(m, "Validated 4 configured processes from 1 files.");
}

TEST(dotenv_substitution_and_disable) {
        _cleanup_free_ char *dir = test_tmpdir(), *yaml = NULL, *envf = NULL, *envl = NULL;
        ComposeLoadOptions o = {};
        _cleanup_(compose_project_freep) ComposeProject *p = NULL, *q = NULL, *s = NULL;
        ComposeError e = {};
        FILE *f;

        ASSERT_TRUE(asprintf(&yaml, "%s/process-compose.yaml", dir) > 0);
        ASSERT_TRUE(asprintf(&envf, "%s/.env", dir) > 0);
        ASSERT_TRUE(asprintf(&envl, "%s/.env.local", dir) > 0);
        ASSERT_NOT_NULL(f = fopen(yaml, "w"));
        fputs("processes:\n  a:\n    command: \"echo ${WHO:-nobody} ${OS_ONLY} $$HOME\"\n", f);
        fclose(f);
        ASSERT_NOT_NULL(f = fopen(envf, "w"));
        fputs("WHO=dotenv\nOS_ONLY=dot\n", f);
        fclose(f);
        ASSERT_NOT_NULL(f = fopen(envl, "w"));
        fputs("WHO=local\n", f);
        fclose(f);

        /* discovery + default .env; .env wins over the OS environment for substitution */
        o.working_directory = strdup(dir);
        o.environ = strv_copy(base_env);
        ASSERT_OK(compose_load(&o, &p, &e));
        ASSERT_STREQ(get(p, "a")->command, "echo dotenv dot $HOME");
        ASSERT_STREQ(p->file_names[0], yaml);
        ASSERT_STREQ(strv_env_get(p->dot_env_vars, "WHO"), "dotenv");

        /* -e files: later wins; a missing one is skipped with a warning */
        ASSERT_OK(strv_extend(&o.env_files, "missing.env"));
        ASSERT_OK(strv_extend(&o.env_files, ".env"));
        ASSERT_OK(strv_extend(&o.env_files, ".env.local"));
        ASSERT_OK(compose_load(&o, &q, &e));
        ASSERT_STREQ(get(q, "a")->command, "echo local dot $HOME");
        ASSERT_TRUE(strstr(q->warnings[0], "missing.env"));

        o.disable_dotenv = true;
        ASSERT_OK(compose_load(&o, &s, &e));
        ASSERT_STREQ(get(s, "a")->command, "echo nobody os $HOME");
        compose_load_options_done(&o);
}

TEST(no_config_found) {
        _cleanup_free_ char *dir = test_tmpdir(), *want = NULL;
        ComposeLoadOptions o = { .disable_dotenv = true };
        ComposeProject *p = NULL;
        ComposeError e = {};

        o.working_directory = strdup(dir);
        ASSERT_ERROR(compose_load(&o, &p, &e), ENOENT);
        ASSERT_TRUE(asprintf(&want, "no config files found in %s", dir) > 0);
        ASSERT_STREQ(e.message, want);
        compose_error_done(&e);
        compose_load_options_done(&o);
}

TEST(disable_env_expansion) {
        _cleanup_(compose_project_freep) ComposeProject *p = NULL;
        _cleanup_(compose_project_freep) ComposeProject *q = NULL;
        _cleanup_free_ char *m = NULL;
        ComposeProject *bad = NULL;

        p = text_ok("disable_env_expansion: true\nprocesses:\n  a:\n    command: \"echo ${HOME} $$X\"\n");
        ASSERT_STREQ(get(p, "a")->command, "echo ${HOME} $$X");
        /* shell syntax drone/envsubst rejects loads when expansion is disabled */
        q = text_ok("disable_env_expansion: true\nprocesses:\n  a:\n    command: \"echo ${X-default}\"\n");
        ASSERT_STREQ(get(q, "a")->command, "echo ${X-default}");
        ASSERT_ERROR(load_text("processes:\n  a:\n    command: \"echo ${X-default}\"\n", &bad, &m), EINVAL);
        ASSERT_STREQ(m, "process-compose.yaml:3:20: environment substitution failed: missing closing brace");
}

TEST(disabled_processes_env_and_flags) {
        ComposeLoadOptions o = { .disable_dotenv = true, .dry_run = true, .ordered_shutdown = true };
        ComposeLoadOptions o2 = { .disable_dotenv = true };
        _cleanup_(compose_project_freep) ComposeProject *p = NULL, *q = NULL;
        ComposeError e = {};

        ASSERT_OK(compose_load_options_from_env(&o, STRV_MAKE("PC_LOG_LEVEL=debug", "COMPOSE_SHELL=sh")));
        ASSERT_OK(load_opts(&o, &p, &e, "chain.yaml", NULL));
        ASSERT_TRUE(p->is_strict);
        ASSERT_TRUE(p->ordered_shutdown);
        ASSERT_STREQ(p->log_level, "debug");
        ASSERT_STREQ(p->shell.shell_command, "sh");
        ASSERT_STREQ(get(p, "process1")->executable, "sh");
        ASSERT_FALSE(get(p, "process3")->disabled);
        compose_load_options_done(&o);

        ASSERT_OK(compose_load_options_from_env(&o2, STRV_MAKE("PC_DISABLED_PROCESSES=process3,process5")));
        ASSERT_OK(load_opts(&o2, &q, &e, "chain.yaml", NULL));
        ASSERT_TRUE(get(q, "process3")->disabled);
        ASSERT_TRUE(get(q, "process5")->disabled);
        ASSERT_FALSE(get(q, "process4")->disabled);
        /* a disabled dependency of an enabled process is only a warning when not strict */
        ASSERT_TRUE(strv_length(q->warnings) >= 1);
        ASSERT_TRUE(strstr(q->warnings[0], "dependency process 'process3' in process 'process2' is disabled"));
        compose_load_options_done(&o2);
}

TEST(options_from_env) {
        ComposeLoadOptions o = {};
        ASSERT_OK(compose_load_options_from_env(&o, STRV_MAKE("PC_CONFIG_FILES=a.yaml,b.yaml", "PC_DISABLE_DOTENV=",
                                                              "PC_NAMESPACES=x,y", "PC_ORDERED_SHUTDOWN=0")));
        ASSERT_EQ(strv_length(o.files), 2u);
        ASSERT_STREQ(o.files[1], "b.yaml");
        ASSERT_TRUE(o.disable_dotenv);
        ASSERT_EQ(strv_length(o.namespaces), 2u);
        ASSERT_TRUE(o.ordered_shutdown);
        ASSERT_FALSE(o.strict);
        compose_load_options_done(&o);
}

TEST(env_cmds_run_with_timeout) {
        _cleanup_(compose_project_freep) ComposeProject *p = NULL;
        usec_t t0;

        p = text_ok("env_cmds:\n  LIVE: \"echo '  live '\"\n  FAIL: \"exit 3\"\n  SLOW: \"sleep 5; echo late\"\n"
                    "processes:\n  a:\n    command: \"echo $${LIVE}\"\n");
        t0 = now_usec(CLOCK_MONOTONIC);
        ASSERT_OK(compose_run_env_cmds(p, base_env, command_run_capture, NULL));
        ASSERT_TRUE(now_usec(CLOCK_MONOTONIC) - t0 < 4 * USEC_PER_SEC);
        ASSERT_STREQ(strv_env_get(p->env_cmds_environment, "LIVE"), "live");
        ASSERT_NULL(strv_env_get(p->env_cmds_environment, "FAIL"));
        ASSERT_NULL(strv_env_get(p->env_cmds_environment, "SLOW"));
        ASSERT_EQ(strv_length(p->warnings), 2u);
        ASSERT_STREQ(get(p, "a")->command, "echo ${LIVE}");
}

typedef struct FakeRunner {
        unsigned calls;
        char *argv0, *argv1, *argv2;
        usec_t timeout;
        const char *path;
} FakeRunner;

/* compose/ forks nothing: every command goes to the runner the caller passes. */
static int fake_runner(char * const *argv, char * const *env, usec_t timeout, char **ret_stdout, void *userdata) {
        FakeRunner *f = userdata;

        f->calls++;
        if (streq(argv[2], "ok")) {
                free(f->argv0);
                f->argv0 = strdup(argv[0]);
                f->argv1 = strdup(argv[1]);
                f->argv2 = strdup(argv[2]);
                f->timeout = timeout;
                f->path = strv_env_get(env, "PATH");
                *ret_stdout = strdup(" \t out put\n\n");
                return *ret_stdout ? 0 : -ENOMEM;
        }
        return streq(argv[2], "slow") ? -ETIMEDOUT : -EPROTO;
}

TEST(env_cmds_go_through_the_runner) {
        _cleanup_(compose_project_freep) ComposeProject *p = NULL;
        FakeRunner f = {};

        p = text_ok("shell:\n  shell_command: sh\n  shell_argument: -ec\n"
                    "env_cmds:\n  A: ok\n  B: fails\n  C: slow\nprocesses:\n  a:\n    command: x\n");
        ASSERT_OK(compose_run_env_cmds(p, base_env, fake_runner, &f));
        ASSERT_EQ(f.calls, 3u);
        ASSERT_STREQ(f.argv0, "sh");
        ASSERT_STREQ(f.argv1, "-ec");
        ASSERT_STREQ(f.argv2, "ok");
        ASSERT_UEQ(f.timeout, 2 * USEC_PER_SEC);
        ASSERT_STREQ(f.path, "/usr/local/bin:/usr/bin:/bin");
        ASSERT_STREQ(strv_env_get(p->env_cmds_environment, "A"), "out put");
        ASSERT_NULL(strv_env_get(p->env_cmds_environment, "B"));
        ASSERT_EQ(strv_length(p->warnings), 2u);
        ASSERT_STREQ(p->warnings[0], "Failed to run Env command fails for B variable: command failed");
        ASSERT_STREQ(p->warnings[1], "Failed to run Env command slow for C variable: timed out after 2s");
        free(f.argv0);
        free(f.argv1);
        free(f.argv2);
}

DEFINE_TEST_MAIN();
