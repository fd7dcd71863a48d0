/* folio_model_conflict: the irreducible infeasible subset against a brute
 * force over every subset of a small model's rows and bounds (each subset
 * built as a model of its own and solved), the transport problem whose
 * supply falls short of demand (exactly its supply and demand rows), groups,
 * integrality and cones kept, a feasible model, the time limit and bad
 * options. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "folio/conflict.h"
#include "folio/folio.h"
#include "model_helpers.h"

static folio_conflict find(folio_model *m, const folio_conflict_options *o)
{
    folio_conflict c;
    if (folio_model_conflict(m, o, &c) != FOLIO_OK) fail_msg("conflict: %s", folio_model_last_error(m));
    return c;
}

/* "row NAME", "NAME.lb" or "NAME.ub" for item k, as the tests name them */
static const char *item_name(const folio_model *m, folio_conflict_item it, char *buf, size_t cap)
{
    switch (it.part) {
    case FOLIO_CONFLICT_ROW: snprintf(buf, cap, "%s", folio_model_row_name(m, it.index)); break;
    case FOLIO_CONFLICT_COL_LOWER: snprintf(buf, cap, "%s.lb", folio_model_col_name(m, it.index)); break;
    case FOLIO_CONFLICT_COL_UPPER: snprintf(buf, cap, "%s.ub", folio_model_col_name(m, it.index)); break;
    case FOLIO_CONFLICT_GROUP: snprintf(buf, cap, "group %zu", it.index); break;
    }
    return buf;
}

/* The conflict's items, names joined by spaces in the order found. */
static void names_of(const folio_model *m, const folio_conflict *c, char *out, size_t cap)
{
    out[0] = '\0';
    for (size_t k = 0; k < c->n; k++) {
        char b[64];
        size_t len = strlen(out);
        snprintf(out + len, cap - len, "%s%s", k ? " " : "", item_name(m, c->items[k], b, sizeof b));
    }
}

/* ---- the brute force ---------------------------------------------------------- */

/* The small model: x, y in [0, 4], and
 *   r1: x + y >= 10   r2: x - y <= 1   r3: y <= 3   r4: x + 2y <= 30
 * Eight items: four rows, four bounds. */
#define NITEMS 8
static const char *const item_names[NITEMS] = { "r1", "r2", "r3", "r4", "x.lb", "x.ub", "y.lb", "y.ub" };

/* The model with only the items in mask (bit k = item_names[k]). */
static folio_model *small_model(unsigned mask)
{
    folio_model *m = folio_model_new("small");
    add_col(m, "x", mask & 16 ? 0 : -HUGE_VAL, mask & 32 ? 4 : HUGE_VAL, FOLIO_CONTINUOUS);
    add_col(m, "y", mask & 64 ? 0 : -HUGE_VAL, mask & 128 ? 4 : HUGE_VAL, FOLIO_CONTINUOUS);
    int xy[] = { 0, 1 }, y[] = { 1 };
    double one_one[] = { 1, 1 }, one_minus[] = { 1, -1 }, one[] = { 1 }, one_two[] = { 1, 2 };
    if (mask & 1) add_row(m, "r1", 2, xy, one_one, 10, HUGE_VAL);
    if (mask & 2) add_row(m, "r2", 2, xy, one_minus, -HUGE_VAL, 1);
    if (mask & 4) add_row(m, "r3", 1, y, one, -HUGE_VAL, 3);
    if (mask & 8) add_row(m, "r4", 2, xy, one_two, -HUGE_VAL, 30);
    return m;
}

static int mask_infeasible(unsigned mask)
{
    folio_model *m = small_model(mask);
    folio_result r;
    assert_int_equal(folio_solve(m, NULL, &r), FOLIO_OK);
    int inf = r.status == FOLIO_STATUS_INFEASIBLE;
    if (!inf) assert_int_equal(r.status, FOLIO_STATUS_OPTIMAL);
    folio_result_free(&r);
    folio_model_free(m);
    return inf;
}

static void test_matches_brute_force(void **state)
{
    (void)state;
    int infeasible[1 << NITEMS];
    for (unsigned s = 0; s < (1u << NITEMS); s++) infeasible[s] = mask_infeasible(s);
    int minimal[1 << NITEMS], nminimal = 0;
    for (unsigned s = 0; s < (1u << NITEMS); s++) {
        minimal[s] = infeasible[s];
        for (int k = 0; k < NITEMS && minimal[s]; k++)
            if ((s >> k & 1) && infeasible[s & ~(1u << k)]) minimal[s] = 0;
        nminimal += minimal[s];
    }
    assert_true(nminimal >= 3);   /* several answers: any of them will do */

    const char *solvers[] = { "glpk", "cbc" };
    for (size_t v = 0; v < 2; v++) {
        folio_model *m = small_model((1u << NITEMS) - 1);
        folio_conflict_options o;
        folio_conflict_options_default(&o);
        o.solver = solvers[v];
        folio_conflict c = find(m, &o);
        assert_int_equal(c.status, FOLIO_STATUS_INFEASIBLE);
        assert_true(c.irreducible);
        unsigned found = 0;
        for (size_t k = 0; k < c.n; k++) {
            char b[64];
            const char *name = item_name(m, c.items[k], b, sizeof b);
            int hit = 0;
            for (int q = 0; q < NITEMS; q++)
                if (!strcmp(name, item_names[q])) { found |= 1u << q; hit = 1; }
            if (!hit) fail_msg("unexpected item %s", name);
        }
        if (!minimal[found]) fail_msg("%s: items 0x%x are not a minimal infeasible subset", solvers[v], found);
        assert_true(c.solves > 1);
        assert_non_null(strstr(c.message, "irreducible infeasible subset"));
        folio_conflict_free(&c);
        folio_model_free(m);
    }
}

/* ---- the transport problem ---------------------------------------------------- */

/* Two plants (10 and 15) and three markets (10 each): 25 < 30. */
static folio_model *transport(int with_cap)
{
    folio_model *m = folio_model_new("transport");
    const double supply[] = { 10, 15 }, demand[] = { 10, 10, 10 };
    int x[2][3];
    double cost[6];
    int all[6];
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++) {
            char name[32];
            snprintf(name, sizeof name, "ship[p%d,m%d]", i + 1, j + 1);
            x[i][j] = (int)add_col(m, name, 0, HUGE_VAL, FOLIO_CONTINUOUS);
            all[i * 3 + j] = x[i][j];
            cost[i * 3 + j] = 1 + i + j;
        }
    double ones[3] = { 1, 1, 1 };
    for (int i = 0; i < 2; i++) {
        char name[32];
        snprintf(name, sizeof name, "supply[p%d]", i + 1);
        add_row(m, name, 3, x[i], ones, -HUGE_VAL, supply[i]);
    }
    for (int j = 0; j < 3; j++) {
        char name[32];
        int col[2] = { x[0][j], x[1][j] };
        snprintf(name, sizeof name, "demand[m%d]", j + 1);
        add_row(m, name, 2, col, ones, demand[j], HUGE_VAL);
    }
    if (with_cap) {   /* loose route caps: never part of the conflict */
        for (int k = 0; k < 6; k++) {
            char name[32];
            double one = 1;
            snprintf(name, sizeof name, "cap[%d]", k + 1);
            add_row(m, name, 1, &all[k], &one, -HUGE_VAL, 100);
        }
    }
    set_linear_objective(m, FOLIO_MINIMIZE, 0, 6, all, cost);
    return m;
}

static void test_transport_names_supply_and_demand(void **state)
{
    (void)state;
    folio_model *m = transport(1);
    folio_result r;
    assert_int_equal(folio_solve(m, NULL, &r), FOLIO_OK);
    assert_int_equal(r.status, FOLIO_STATUS_INFEASIBLE);
    folio_result_free(&r);

    folio_conflict c = find(m, NULL);
    char names[512];
    names_of(m, &c, names, sizeof names);
    assert_int_equal(c.status, FOLIO_STATUS_INFEASIBLE);
    assert_string_equal(names, "supply[p1] supply[p2] demand[m1] demand[m2] demand[m3]");
    assert_string_equal(c.message, "5 rows and bounds in an irreducible infeasible subset");
    folio_conflict_free(&c);
    /* the user's model is untouched: same bounds, objective and status */
    double lo, hi;
    folio_model_row_bounds(m, 0, &lo, &hi);
    assert_true(lo == -HUGE_VAL && hi == 10);
    assert_true(folio_model_obj_coef(m, 5) == 4);
    assert_int_equal(folio_solve(m, NULL, &r), FOLIO_OK);
    assert_int_equal(r.status, FOLIO_STATUS_INFEASIBLE);
    folio_result_free(&r);
    folio_model_free(m);
}

static void test_groups(void **state)
{
    (void)state;
    folio_model *m = transport(1);
    /* rows: supply (2) -> 0, demand (3) -> 1, caps (6) -> 3; bounds -> 2 */
    int row_group[11] = { 0, 0, 1, 1, 1, 3, 3, 3, 3, 3, 3 }, col_group[6] = { 2, 2, 2, 2, 2, 2 };
    folio_conflict_options o;
    folio_conflict_options_default(&o);
    o.row_group = row_group;
    o.col_group = col_group;
    o.ngroups = 5;   /* group 4 has no member: not an item */
    folio_conflict c = find(m, &o);
    assert_int_equal(c.status, FOLIO_STATUS_INFEASIBLE);
    assert_int_equal(c.n, 2);
    assert_int_equal(c.items[0].part, FOLIO_CONFLICT_GROUP);
    assert_int_equal(c.items[0].index, 0);
    assert_int_equal(c.items[1].index, 1);
    assert_string_equal(c.message, "2 groups in an irreducible infeasible subset");
    folio_conflict_free(&c);

    /* a negative id keeps rows enforced: with demand always on, the
     * supply group alone is the conflict */
    for (int i = 2; i < 5; i++) row_group[i] = -1;
    c = find(m, &o);
    assert_int_equal(c.status, FOLIO_STATUS_INFEASIBLE);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.items[0].index, 0);
    folio_conflict_free(&c);

    /* nothing left to relax: the conflict is in what stays */
    for (int i = 0; i < 11; i++) row_group[i] = -1;
    o.col_group = NULL;
    c = find(m, &o);
    assert_int_equal(c.status, FOLIO_STATUS_INFEASIBLE);
    assert_int_equal(c.n, 0);
    assert_string_equal(c.message, "infeasible with every group relaxed: the conflict is in what is never "
                                   "relaxed (integrality, cones, rows kept enforced)");
    folio_conflict_free(&c);

    row_group[0] = 7;
    folio_conflict bad;
    assert_int_equal(folio_model_conflict(m, &o, &bad), FOLIO_ERR_INVALID);
    assert_string_equal(folio_model_last_error(m), "conflict: row 'supply[p1]' is in group 7 of 5");
    folio_model_free(m);
}

/* Integrality is never relaxed: 2x = 3 with x integer conflicts by itself. */
static void test_integrality_stays(void **state)
{
    (void)state;
    const char *solvers[] = { "glpk", "cbc" };
    for (size_t v = 0; v < 2; v++) {
        folio_model *m = folio_model_new("parity");
        int x = (int)add_col(m, "x", 0, 10, FOLIO_INTEGER);
        int y = (int)add_col(m, "y", 0, 1, FOLIO_BINARY);
        double two = 2, one = 1;
        add_row(m, "odd", 1, &x, &two, 3, 3);
        add_row(m, "pick", 1, &y, &one, 0, 1);
        folio_conflict_options o;
        folio_conflict_options_default(&o);
        o.solver = solvers[v];
        folio_conflict c = find(m, &o);
        char names[128];
        names_of(m, &c, names, sizeof names);
        assert_int_equal(c.status, FOLIO_STATUS_INFEASIBLE);
        assert_string_equal(names, "odd");
        folio_conflict_free(&c);
        folio_model_free(m);
    }
}

/* A cone stays: ||(x, y)|| <= 1 with x >= 2 (a row) conflicts through the row. */
static void test_cone_stays(void **state)
{
    (void)state;
    folio_model *m = folio_model_new("ball");
    int x = (int)add_col(m, "x", -HUGE_VAL, HUGE_VAL, FOLIO_CONTINUOUS);
    int y = (int)add_col(m, "y", -HUGE_VAL, HUGE_VAL, FOLIO_CONTINUOUS);
    int idx[] = { x, y };
    double val[] = { 1, 1 }, cst[] = { 0, 0 };
    size_t start[] = { 0, 1, 2 };
    assert_true(folio_model_add_soc(m, "ball", 2, start, idx, val, cst, 0, NULL, NULL, 1) >= 0);
    double one = 1;
    add_row(m, "far", 1, &x, &one, 2, HUGE_VAL);
    add_row(m, "loose", 1, &y, &one, -5, 5);
    folio_conflict c = find(m, NULL);
    char names[128];
    names_of(m, &c, names, sizeof names);
    assert_int_equal(c.status, FOLIO_STATUS_INFEASIBLE);
    assert_string_equal(names, "far");
    folio_conflict_free(&c);
    folio_model_free(m);
}

static void test_feasible_model_has_none(void **state)
{
    (void)state;
    folio_model *m = small_model(2 | 4 | 8 | 16 | 32 | 64 | 128);   /* without r1 */
    folio_conflict c = find(m, NULL);
    assert_int_equal(c.status, FOLIO_STATUS_OPTIMAL);
    assert_int_equal(c.n, 0);
    assert_int_equal(c.solves, 1);
    assert_string_equal(c.message, "the model is feasible: there is no conflict");
    folio_conflict_free(&c);
    folio_model_free(m);
}

static void test_time_limit(void **state)
{
    (void)state;
    folio_model *m = transport(0);
    folio_conflict_options o;
    folio_conflict_options_default(&o);
    o.time_limit = 1e-12;   /* spent before the first solve */
    folio_conflict c = find(m, &o);
    assert_int_equal(c.status, FOLIO_STATUS_TIME_LIMIT);
    assert_false(c.irreducible);
    assert_int_equal(c.solves, 0);
    assert_string_equal(c.message, "no conflict: the time limit was reached before the model was proven infeasible");
    folio_conflict_free(&c);
    o.time_limit = NAN;
    assert_int_equal(folio_model_conflict(m, &o, &c), FOLIO_ERR_INVALID);
    assert_string_equal(folio_model_last_error(m), "conflict: time_limit is not a number");
    folio_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matches_brute_force),
        cmocka_unit_test(test_transport_names_supply_and_demand),
        cmocka_unit_test(test_groups),
        cmocka_unit_test(test_integrality_stays),
        cmocka_unit_test(test_cone_stays),
        cmocka_unit_test(test_feasible_model_has_none),
        cmocka_unit_test(test_time_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
