"""Benchmark of the rebate computation at scale (run it through scripts/bench).

Fills a database that has customer_rebate installed with generated data — customers, products
with a cost, and posted customer invoice lines, by default 1,000,000 a year over three years, 5 %
of the moves credit notes — through bulk SQL in date order, then times:

1. the daily run (the cron, incremental) of twenty active policies (quarterly, monthly and yearly,
   of the four kinds) after 1,000 new invoice lines and 20 credit notes in old periods, with one,
   two and three years of history (each year is added and the policies catch up with it, then
   the day's changes run and are rolled back): the three figures should be flat;
2. one amount policy on one quarter, full compute (first run: records created; second run:
   nothing changes), with and without the index the bases rely on;
3. four policies (amount, quantity, promotion, partnership) on all four quarters;
4. the projection on a 50-line quotation with the whole history, exports, settlements, balances;
5. with ``--paid-basis`` (only that): payments generated for the history, then the aggregate and
   the computation of one quarter for a policy counting invoices once paid.
6. with ``--advances`` (e.g. ``--years 1 --daily-policies 0 --advances``), only a yearly policy over
   every customer with quarterly advances, computed for its whole year: four advances and the
   year-end settlement per customer, then again with the first three advances confirmed.
7. with ``--pooled`` (and ``--advances``): group volume, yearly policies over every customer in 500
   groups (with quarterly advances at the tier the group reached so far: issue 13's case).

It prints the timings, the number of queries, the process's peak memory, EXPLAIN ANALYZE of the
slowest queries and the indexes the addon relies on. Figures belong here, not in timed unit tests.
"""

import argparse
import resource
import time
from contextlib import contextmanager
from datetime import date, timedelta
from unittest.mock import patch

YEAR = 2025


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("--addons-path", required=True)
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--products", type=int, default=2_000)
    parser.add_argument("--lines", type=int, default=1_000_000, help="invoice lines per year of history")
    parser.add_argument("--years", type=int, default=3, help="years of history")
    parser.add_argument("--daily-policies", type=int, default=20, help="policies of the daily run (0: skip it)")
    parser.add_argument("--daily-lines", type=int, default=1000)
    parser.add_argument("--daily-credit-notes", type=int, default=20)
    parser.add_argument("--daily-only", action="store_true",
                        help="only the daily run with one, two, three… years of history (and its plans)")
    parser.add_argument("--lines-per-move", type=int, default=10)
    parser.add_argument("--pooled", action="store_true",
                        help="only group volume (集团客户): yearly policies over every customer in --groups groups "
                             "(by parent company, by customer group paid to the head, by tag), computed for the "
                             "year (use with --years 1 --daily-policies 0); with --advances, advanced quarterly "
                             "at the tier the group's year to date reached")
    parser.add_argument("--groups", type=int, default=500, help="groups of the --pooled benchmark")
    parser.add_argument("--profile", action="store_true", help="cProfile the first run, print the top functions")
    parser.add_argument("--balance-only", action="store_true",
                        help="only the rebate balance figures (no generated invoices): ledger read, 200-line order")
    parser.add_argument("--paid-basis", action="store_true",
                        help="only the paid basis: payments generated for the history (most invoices paid "
                             "within 90 days, some in two parts), then one paid-basis policy on one quarter")
    parser.add_argument("--overlap", action="store_true",
                        help="only the overlap resolution: four exclusive policies over every line of a quarter "
                             "(combined, then by priority, then by the more favourable)")
    parser.add_argument("--advances", action="store_true",
                        help="only a yearly policy with quarterly advances over every customer, its whole year")
    parser.add_argument("--settle", type=int, default=1000,
                        help="customers settled with cash, then as many with credit notes (0: skip)")
    parser.add_argument("--keep", action="store_true",
                        help="commit the generated history (customers, products, invoice lines of every year) "
                             "and reuse it at the next run with --keep; policies, records and the day's "
                             "changes are still rolled back. The daily runs of one and two years then see "
                             "the later years' lines in the table too (dated after their day)")
    parser.add_argument("--daily-years", help="the history lengths whose daily run is timed, e.g. 1,3 "
                        "(default: every one; the catch-up runs anyway, and the last year is always timed)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="time each headline figure this many times (rolled back in between) and print "
                             "the best and the median")
    return parser.parse_args()


def generate_base(env, customers, products):
    """Customers (a third of them tagged), products (in twenty categories, with a cost) and the
    accounts and journal the invoices use."""
    cr = env.cr
    company = env.company
    journal = env["account.journal"].search([("type", "=", "sale"), ("company_id", "=", company.id)], limit=1)
    receivable = env["account.account"].search(
        [("account_type", "=", "asset_receivable"), ("company_ids", "in", company.id)], limit=1)
    tags = env["res.partner.category"].create([{"name": f"Bench tag {i}"} for i in range(10)])
    categories = env["product.category"].create([{"name": f"Bench category {i}"} for i in range(20)])
    cr.execute("SELECT setseed(0.42)")
    cr.execute("""
        INSERT INTO res_partner (name, complete_name, active, type, is_company, autopost_bills,
                                 customer_rank, create_date, write_date)
        SELECT 'Bench customer ' || n, 'Bench customer ' || n, TRUE, 'contact', TRUE, 'ask', 1, NOW(), NOW()
          FROM generate_series(1, %s) n
        RETURNING id
    """, [customers])
    partner_ids = [row[0] for row in cr.fetchall()]
    cr.execute("UPDATE res_partner SET commercial_partner_id = id WHERE id = ANY(%s)", [partner_ids])
    cr.execute("""
        INSERT INTO res_partner_res_partner_category_rel (partner_id, category_id)
        SELECT p, (%s)[1 + (n %% 10)] FROM unnest(%s::int[]) WITH ORDINALITY AS t(p, n) WHERE n %% 3 = 0
    """, [tags.ids, partner_ids])
    unit = env.ref("uom.product_uom_unit")
    product_records = env["product.product"].create([
        {"name": f"Bench product {i}", "type": "consu", "list_price": 10.0 + i % 90,
         "standard_price": round((10.0 + i % 90) * 0.6, 2),
         "categ_id": categories[i % 20].id, "uom_id": unit.id, "taxes_id": [(5, 0, 0)]}
        for i in range(products)
    ])
    env.flush_all()
    return {
        "company": company, "journal": journal, "income": journal.default_account_id, "receivable": receivable,
        "unit": unit, "dozen": env.ref("uom.product_uom_dozen"), "partner_ids": partner_ids,
        "tags": tags, "categories": categories, "products": product_records,
    }


def vacuum(database):
    """VACUUM ANALYZE the journal items and moves, as autovacuum does to a table that has been
    written (old invoices are all visible: an index-only scan needs no look at the table)."""
    import subprocess  # noqa: PLC0415
    subprocess.run(["psql", "-q", "-d", database, "-c", "VACUUM ANALYZE account_move_line",
                    "-c", "VACUUM ANALYZE account_move"], check=True)


def kept_base(env):
    """The base of a history kept by an earlier run with --keep, or None."""
    env.cr.execute("SELECT id FROM res_partner WHERE name LIKE 'Bench customer %%' ORDER BY id")
    partner_ids = [row[0] for row in env.cr.fetchall()]
    if not partner_ids:
        return None
    company = env.company
    journal = env["account.journal"].search([("type", "=", "sale"), ("company_id", "=", company.id)], limit=1)
    return {
        "company": company, "journal": journal, "income": journal.default_account_id,
        "receivable": env["account.account"].search(
            [("account_type", "=", "asset_receivable"), ("company_ids", "in", company.id)], limit=1),
        "unit": env.ref("uom.product_uom_unit"), "dozen": env.ref("uom.product_uom_dozen"),
        "partner_ids": partner_ids,
        "tags": env["res.partner.category"].search([("name", "=like", "Bench tag %")], order="id"),
        "categories": env["product.category"].search([("name", "=like", "Bench category %")], order="id"),
        "products": env["product.product"].search([("name", "=like", "Bench product %")], order="id"),
    }


def repeated(env, label, function, repeat, keep_last=False):
    """Time ``function`` ``repeat`` times, each in a savepoint rolled back afterwards (so each
    run starts from the same state; ``keep_last``: not the last one), the load average printed;
    returns the last query log with ``best`` and ``median`` set."""
    import os  # noqa: PLC0415
    import statistics  # noqa: PLC0415
    logs = []
    for index in range(repeat):
        last = index + 1 == repeat
        if not (keep_last and last):
            env.cr.execute("SAVEPOINT bench_repeat")
        env.invalidate_all()
        load = os.getloadavg()[0]
        logs.append(timed(env, f"{label} [{index + 1}/{repeat}, load {load:.2f}]", function))
        if not (keep_last and last):
            env.cr.execute("ROLLBACK TO SAVEPOINT bench_repeat")
        env.invalidate_all()
    log = logs[-1]
    figures = [item.elapsed for item in logs]
    log.best, log.median = min(figures), statistics.median(figures)
    if repeat > 1:
        print(f"   => best {log.best:.3f} s, median {log.median:.3f} s of {repeat}")
    return log


def generate_year(env, base, year, lines, lines_per_move):
    """``lines`` posted invoice lines over ``year``, 5 % of the moves credit notes, inserted in date order as a running company inserts them (so a period's lines sit
    together on disk), with their receivable lines."""
    cr = env.cr
    started = time.perf_counter()
    moves = max(lines // lines_per_move, 1)
    prefix = f"{year}/"
    cr.execute("""
        INSERT INTO account_move (name, move_type, state, date, invoice_date, journal_id, company_id,
                                  currency_id, partner_id, commercial_partner_id, auto_post,
                                  amount_untaxed, amount_total, create_date, write_date)
        SELECT CASE WHEN n %% 20 = 0 THEN 'RBENCH/' ELSE 'INVBENCH/' END || %(prefix)s || n,
               CASE WHEN n %% 20 = 0 THEN 'out_refund' ELSE 'out_invoice' END,
               'posted', d, d, %(journal)s, %(company)s, %(currency)s, p, p, 'no', 0, 0, NOW(), NOW()
          FROM (SELECT n, (%(partners)s::int[])[1 + floor(random() * %(partner_count)s)::int] AS p,
                       DATE %(year_start)s + floor(random() * 365)::int AS d
                  FROM generate_series(1, %(moves)s) n
                 ORDER BY d, n) s
        RETURNING id
    """, {"journal": base["journal"].id, "company": base["company"].id, "currency": base["company"].currency_id.id,
          "partners": base["partner_ids"], "partner_count": len(base["partner_ids"]), "prefix": prefix,
          "year_start": f"{year}-01-01", "moves": moves})
    move_ids = [row[0] for row in cr.fetchall()]
    first, last = min(move_ids), max(move_ids)
    product_ids = base["products"].ids
    cr.execute("""
        INSERT INTO account_move_line (move_id, move_name, partner_id, company_id, journal_id, account_id,
                                       currency_id, company_currency_id, date, invoice_date, parent_state,
                                       display_type, product_id, product_uom_id, quantity, price_unit,
                                       balance, amount_currency, debit, credit, price_subtotal,
                                       create_date, write_date)
        SELECT m.id, m.name, m.partner_id, m.company_id, m.journal_id, %(income)s, m.currency_id,
               m.currency_id, m.date, m.invoice_date, 'posted', 'product', l.product, l.uom, l.qty,
               l.price, l.sign * l.qty * l.price, l.sign * l.qty * l.price,
               GREATEST(l.sign * l.qty * l.price, 0), GREATEST(-l.sign * l.qty * l.price, 0),
               l.qty * l.price, NOW(), NOW()
          FROM account_move m
          CROSS JOIN LATERAL (
              SELECT (%(products)s::int[])[1 + floor(random() * %(product_count)s)::int] AS product,
                     CASE WHEN random() < 0.1 THEN %(dozen)s ELSE %(unit)s END AS uom,
                     1 + floor(random() * 20) AS qty,
                     10 + floor(random() * 90) AS price,
                     -- referring to m makes PostgreSQL draw new random values per move
                     CASE WHEN m.move_type = 'out_refund' THEN 1 ELSE -1 END AS sign
                FROM generate_series(1, %(per_move)s) g
          ) l
         WHERE m.id BETWEEN %(first)s AND %(last)s
         ORDER BY m.id
    """, {"income": base["income"].id, "products": product_ids, "product_count": len(product_ids),
          "dozen": base["dozen"].id, "unit": base["unit"].id, "per_move": lines_per_move,
          "first": first, "last": last})
    # the receivable side of every move: not a product line, so it never counts, but it is there
    cr.execute("""
        INSERT INTO account_move_line (move_id, move_name, partner_id, company_id, journal_id, account_id,
                                       currency_id, company_currency_id, date, invoice_date, parent_state,
                                       display_type, balance, amount_currency, debit, credit, create_date, write_date)
        SELECT l.move_id, l.move_name, l.partner_id, l.company_id, l.journal_id, %s, l.currency_id,
               l.currency_id, l.date, l.invoice_date, 'posted', 'payment_term', -SUM(l.balance), -SUM(l.balance),
               GREATEST(-SUM(l.balance), 0), GREATEST(SUM(l.balance), 0), NOW(), NOW()
          FROM account_move_line l WHERE l.move_id BETWEEN %s AND %s AND l.display_type = 'product'
         GROUP BY l.move_id, l.move_name, l.partner_id, l.company_id, l.journal_id, l.currency_id, l.date, l.invoice_date
         ORDER BY l.move_id
    """, [base["receivable"].id, first, last])
    cr.execute("ANALYZE account_move_line; ANALYZE account_move; ANALYZE res_partner")
    print(f"   generated {moves * lines_per_move} invoice lines of {year} in {time.perf_counter() - started:.1f} s")
    env.invalidate_all()


def report_lines(env, started):
    env.cr.execute("SELECT COUNT(*), COUNT(*) FILTER (WHERE m.move_type = 'out_refund'), MIN(l.invoice_date), "
                   "MAX(l.invoice_date) FROM account_move_line l JOIN account_move m ON m.id = l.move_id "
                   "WHERE l.display_type = 'product'")
    total, refunds, first, last = env.cr.fetchone()
    print(f"history: {total} invoice lines ({refunds} on credit notes) from {first} to {last}"
          + (f", generated in {time.perf_counter() - started:.1f} s" if started else ""))




def daily_policies(env, tags, categories, first_year, count=20):
    """``count`` active policies from ``first_year`` on: quarterly, monthly and yearly, of the four
    kinds, with tiers that a part of the customers reach."""
    Policy = env["rebate.policy"]
    expense = env["account.account"].search([("account_type", "=", "expense")], limit=1)
    # activation checks what the payout needs: a sales journal for the credit notes
    journal = env["account.journal"].search([("type", "=", "sale"), ("company_id", "=", env.company.id)], limit=1)
    scale = {"month": 1, "quarter": 3, "year": 12}
    values = []
    for index in range(count):
        kind = ("amount", "quantity", "promotion", "partnership")[index % 4]
        period = ("quarter", "month", "year")[index % 3]
        size = scale[period]
        vals = {"name": f"Daily {index} {kind} {period}", "rebate_type": kind, "period": period,
                "date_start": f"{first_year}-01-01", "expense_account_id": expense.id,
                "settlement_method": "credit_note", "journal_id": journal.id}
        if kind == "quantity":
            vals.update(basis="quantity", amount_type="fixed", tier_ids=[
                (0, 0, {"sequence": 1, "threshold": 400 * size, "fixed_amount": 30 * size}),
                (0, 0, {"sequence": 2, "threshold": 600 * size, "fixed_amount": 80 * size})])
        else:
            vals["tier_ids"] = [(0, 0, {"sequence": 1, "threshold": 9000 * size, "rate": 2}),
                                (0, 0, {"sequence": 2, "threshold": 12000 * size, "rate": 4})]
        if kind == "promotion":
            vals["product_category_ids"] = [(6, 0, categories[index % 15:index % 15 + 5].ids)]
            vals["date_end"] = f"{YEAR}-12-31"
            vals["tier_ids"] = [(0, 0, {"threshold": 2500 * size, "rate": 4})]
        if kind == "partnership":
            vals.update(min_seniority_months=3, tier_mode="incremental",
                        partner_category_ids=[(6, 0, tags[:5].ids)])
        values.append(vals)
    policies = Policy.create(values)
    policies.action_activate()
    env.flush_all()
    return policies


def daily_run(env, base, policies, first_year, last_year, new_lines, credit_notes, repeat=1, profile=False):
    """The daily run (the cron, incremental) on 15 December of ``last_year``, the history going
    back to ``first_year``: first the run that catches up with the year just generated (by SQL,
    so not queued: the periods begun since the last run are computed in full, the others stand;
    the daily job, so that its owners are reminded of the periods ended, as the days before did),
    then the day's ``new_lines`` invoice lines and ``credit_notes`` credit notes posted (through
    the ORM) in old periods, and the daily run that follows them. The day's changes are rolled
    back afterwards. Returns the daily run's query log (with its time) and the catch-up's."""
    import random  # noqa: PLC0415
    from freezegun import freeze_time  # noqa: PLC0415
    from odoo import Command  # noqa: PLC0415
    today = f"{last_year}-12-15"
    years = last_year - first_year + 1
    with freeze_time(today, tick=True):
        env.invalidate_all()
        full = timed(env, f"catch-up of the {len(policies)} daily policies to {today} (the year {last_year} "
                          f"computed, {years} year(s) of history)",
                     lambda: env["rebate.policy"]._cron_compute_rebates())
        print(f"   {env['rebate.record'].search_count([('policy_id', 'in', policies.ids)])} records")
        env.cr.execute("SAVEPOINT daily_changes")
        rng = random.Random(14)
        products = base["products"]
        partner_ids = base["partner_ids"]
        # the day's invoices, posted through the ORM as a user posts them (10 lines each)
        invoices = env["account.move"].create([{
            "move_type": "out_invoice",
            "partner_id": partner_ids[rng.randrange(len(partner_ids))],
            "invoice_date": today,
            "journal_id": base["journal"].id,
            "invoice_line_ids": [Command.create({"product_id": products[rng.randrange(len(products))].id,
                                                 "quantity": rng.randint(1, 20), "price_unit": rng.randint(10, 99)})
                                 for _line in range(10)],
        } for _index in range(max(new_lines // 10, 1))])
        invoices.action_post()
        # dates before the open periods of the quarterly and monthly policies
        start, end = date(first_year, 1, 1), date(last_year, 9, 30)
        moves = env["account.move"].create([{
            "move_type": "out_refund",
            "partner_id": partner_ids[rng.randrange(len(partner_ids))],
            "invoice_date": start + timedelta(days=rng.randrange((end - start).days + 1)),
            "journal_id": base["journal"].id,
            "invoice_line_ids": [Command.create({"product_id": products[rng.randrange(len(products))].id,
                                                 "quantity": rng.randint(1, 5), "price_unit": 50.0})],
        } for _index in range(credit_notes)])
        moves.action_post()
        env.cr.execute("SELECT COUNT(*) FROM rebate_compute_queue")
        queued = env.cr.fetchone()[0]
        env.flush_all()
        env.invalidate_all()
        run = lambda: env["rebate.policy"]._cron_compute_rebates()  # noqa: E731
        if profile:
            profiled(env, run)
        log = repeated(env, f"DAILY RUN, {years} year(s) of history: {new_lines} new lines and {credit_notes} "
                            f"credit notes in old periods ({queued} queued changes)", run, repeat)
        env.cr.execute("ROLLBACK TO SAVEPOINT daily_changes")
        env.invalidate_all()
    return log, full


def profiled(env, function, top=35):
    """cProfile ``function`` once (in a savepoint rolled back afterwards) and print the functions
    taking the most time, by own time and by cumulative time."""
    import cProfile  # noqa: PLC0415
    import pstats  # noqa: PLC0415
    env.cr.execute("SAVEPOINT bench_profile")
    env.invalidate_all()
    profiler = cProfile.Profile()
    profiler.runcall(function)
    env.flush_all()
    env.cr.execute("ROLLBACK TO SAVEPOINT bench_profile")
    env.invalidate_all()
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)


@contextmanager
def query_log():
    """Collect (duration, query, params) of every query run inside the block."""
    from odoo.sql_db import Cursor  # noqa: PLC0415
    original = Cursor.execute
    log = []

    def execute(cursor, query, params=None, log_exceptions=None):
        start = time.perf_counter()
        try:
            return original(cursor, query, params, log_exceptions)
        finally:
            log.append((time.perf_counter() - start, query, params))

    with patch("odoo.sql_db.Cursor.execute", execute):
        yield log


class QueryLog(list):
    elapsed = 0.0
    count = 0


def timed(env, label, function):
    """Run ``function`` and flush, printing its time, query count and the peak memory so far.
    Returns the queries (a list of (duration, query, params), with the time as ``elapsed``)."""
    with query_log() as queries:
        start = time.perf_counter()
        function()
        env.flush_all()
        elapsed = time.perf_counter() - start
    # the slowest ones only (a computation's batched INSERTs carry tens of thousands of values)
    log = QueryLog(sorted(queries, key=lambda item: -item[0])[:10])
    log.count = len(queries)
    log.elapsed = elapsed
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{label}: {elapsed:.3f} s, {log.count} queries, peak memory so far {peak:.0f} MB")
    return log


def explain(env, log, top=2):
    from odoo.tools import SQL  # noqa: PLC0415
    for duration, query, params in sorted(log, key=lambda item: -item[0])[:top]:
        code = query.code if isinstance(query, SQL) else query
        params = query.params if isinstance(query, SQL) else params
        if not code.lstrip().upper().startswith("SELECT"):
            print(f"-- {duration * 1000:.0f} ms: {code.strip()[:200]}")
            continue
        if "FILTER (WHERE" in code:
            # the settings the computation gives its base aggregates (_line_figures_query)
            from odoo.addons.customer_rebate.models.rebate_policy import AGGREGATE_WORK_MEM  # noqa: PLC0415
            env.cr.execute("SELECT set_config('jit', 'off', true), set_config('work_mem', %s, true)",
                           [AGGREGATE_WORK_MEM])
        env.cr.execute("EXPLAIN (ANALYZE, BUFFERS) " + code, params)
        plan = "\n".join(row[0] for row in env.cr.fetchall())
        print(f"-- {duration * 1000:.0f} ms:\n{code.strip()[:400]}\n{plan}\n")


def estimate_writes(env, policy, first_run, repeat):
    """The estimates written in bulk (one INSERT, one UPDATE per period: what the computation
    does) against the ORM's create() and write(), on the records of the first run."""
    from odoo.addons.customer_rebate.models.rebate_record import ESTIMATE_COLUMNS, ESTIMATE_FIGURES  # noqa: PLC0415
    Record = env["rebate.record"].with_context(mail_create_nolog=True, mail_create_nosubscribe=True,
                                               tracking_disable=True)
    records = Record.search([("policy_id", "=", policy.id)])
    values = records.read(list(ESTIMATE_COLUMNS), load=None)
    for vals in values:
        vals.pop("id")
    updates = [(record, {field: (record[field].id if field == "tier_id" else record[field] + 1)
                         for field in ESTIMATE_FIGURES}) for record in records]

    def orm_writes():
        for record, vals in updates:
            record.write(vals)

    env.cr.execute("SAVEPOINT estimate_writes")
    env.cr.execute("DELETE FROM rebate_record WHERE policy_id = %s", [policy.id])
    env.invalidate_all()
    repeated(env, f"estimates: {len(values)} records created in one INSERT (_create_estimates)",
             lambda: Record._create_estimates(values), repeat)
    repeated(env, f"estimates: {len(values)} records created by the ORM's create()", lambda: Record.create(values),
             repeat)
    env.cr.execute("ROLLBACK TO SAVEPOINT estimate_writes")
    env.invalidate_all()
    repeated(env, f"estimates: {len(updates)} records rewritten in one UPDATE (_write_estimates)",
             lambda: Record._write_estimates(updates), repeat)
    repeated(env, f"estimates: {len(updates)} records rewritten by the ORM's write()", orm_writes, repeat)


def export_detail(env, policies):
    """The XLSX detail report of every record computed above (tens of thousands of rows)."""
    count = env["rebate.record"].search_count([("policy_id", "in", policies.ids)])
    wizard = env["rebate.export.wizard"].create({"report": "detail", "policy_ids": [(6, 0, policies.ids)]})
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    content = []
    timed(env, f"XLSX detail export of {count} records", lambda: content.append(wizard._build_workbook()))
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"   {len(content[0]) / 1e6:.1f} MB file, peak memory grew by {after - before:.0f} MB")


def project_order(env, products, repeat=1):
    """The projection on a 50-line quotation of a customer with a long history: opening it, then
    changing a line. The policies' dates are moved over today so that they apply. Returns the
    queries of the opening."""
    env.cr.execute("""SELECT partner_id FROM account_move_line WHERE display_type = 'product'
                      GROUP BY partner_id ORDER BY COUNT(*) DESC LIMIT 1""")
    partner = env["res.partner"].browse(env.cr.fetchone()[0])
    today = env.cr.now().date()
    env["rebate.policy"].search([("name", "like", "Bench %"), ("rebate_type", "!=", "promotion")]).with_context(rebate_policy_revision=True).write(
        {"date_start": today.replace(year=today.year - 1, month=1, day=1), "date_end": False, "period": "year"})
    # the year to date of the customer is last year's generated history moved forward one year
    env.cr.execute("UPDATE account_move_line SET invoice_date = invoice_date + INTERVAL '1 year' "
                   "WHERE partner_id = %s AND display_type = 'product'", [partner.id])
    order = env["sale.order"].create({
        "partner_id": partner.id,
        "order_line": [(0, 0, {"product_id": product.id, "product_uom_qty": 5, "price_unit": 100})
                       for product in products[:50]],
    })
    env.flush_all()
    order.rebate_projection_html  # compiles the QWeb template once, as a running server has
    env.invalidate_all()
    lines = env["account.move.line"].search_count([("partner_id", "=", partner.id)])
    log = repeated(env, f"projection on a {len(order.order_line)}-line quotation ({lines} invoice lines of "
                        f"history, {len(order._get_rebate_projections())} policies): open",
                   lambda: env.invalidate_all() or order.rebate_projection_html, repeat)
    timed(env, "projection on a quotation: change a line",
          lambda: order.order_line[0].write({"product_uom_qty": 50}) and order.rebate_projection_html)
    return log


def settle(env, policy, count):
    """Settle ``count`` customers in cash, then ``count`` others with credit notes."""
    company = env.company
    records = env["rebate.record"].search(
        [("policy_id", "=", policy.id), ("amount", ">", 0), ("date_end", "<", f"{YEAR + 1}-01-01")],
        order="partner_id, date_start")
    by_partner = {}
    for record in records:
        by_partner.setdefault(record.partner_id.id, record)  # one record per customer
    chosen = env["rebate.record"].browse([record.id for record in list(by_partner.values())[:2 * count]])
    chosen.action_confirm()
    journals = {kind: env["account.journal"].search([("type", "=", kind), ("company_id", "=", company.id)], limit=1)
                for kind in ("general", "sale")}
    Settlement = env["rebate.settlement"]
    for method, journal, group in (("cash", journals["general"], chosen[:count]),
                                   ("credit_note", journals["sale"], chosen[count:2 * count])):
        policy.write({"settlement_method": method, "journal_id": journal.id})
        settlements = []
        timed(env, f"settle {len(group)} customers as {method}: create the settlements",
              lambda group=group: settlements.append(Settlement._create_from_records(group)))
        timed(env, f"settle {len(group)} customers as {method}: post the documents",
              lambda: settlements[0].action_done())
        posted = env["account.move"].search_count([("rebate_settlement_id", "in", settlements[0].ids),
                                                   ("state", "=", "posted")])
        print(f"   {posted} posted documents")


def rebate_balance(env):
    """返利抵扣 at scale: a customer's balance behind 10,000 ledger lines, read as the customer form
    and a quotation read it; then the balance applied on a 200-line quotation over two taxes."""
    from odoo import Command  # noqa: PLC0415
    company = env.company
    liability = env["account.account"].search(
        [("account_type", "=", "liability_current"), ("company_ids", "in", company.id)], limit=1)
    policy = env["rebate.policy"].create({
        "name": "Bench balance", "date_start": f"{YEAR}-01-01", "settlement_method": "discount",
        "balance_account_id": liability.id, "balance_max_share": 0.0,
        "journal_id": env["account.journal"].search([("type", "=", "general"), ("company_id", "=", company.id)], limit=1).id,
        "tier_ids": [Command.create({"threshold": 0, "rate": 5})],
    })
    partner = env["res.partner"].create({"name": "Bench balance customer"})
    balance = env["rebate.balance"]._get_or_create(partner, policy)
    balance._add_lines([{"balance_id": balance.id, "kind": "earned", "amount": 1_000_000.0, "name": "bench"}])
    env.cr.execute("""
        INSERT INTO rebate_balance_line (balance_id, partner_id, policy_id, company_id, date, kind, amount, name,
                                         create_uid, write_uid, create_date, write_date)
        SELECT %s, %s, %s, %s, CURRENT_DATE, 'used', -1, 'bench', 1, 1, NOW(), NOW()
          FROM generate_series(1, 9999)""", [balance.id, partner.id, policy.id, company.id])
    env.cr.execute("UPDATE rebate_balance SET amount = amount - 9999 WHERE id = %s", [balance.id])
    env.invalidate_all()
    count = env["rebate.balance.line"].search_count([("balance_id", "=", balance.id)])
    timed(env, f"rebate balance of a customer with {count} ledger lines (customer form)",
          lambda: env.invalidate_all() or partner.rebate_balance)
    timed(env, f"rebate balance usable today, with expiries ({count} ledger lines)",
          lambda: env.invalidate_all() or balance._available())
    taxes = env["account.tax"].search([("type_tax_use", "=", "sale"), ("company_id", "=", company.id),
                                       ("amount_type", "=", "percent"), ("price_include", "=", False)], limit=2)
    products = env["product.product"].create([
        {"name": f"Bench balance product {index}", "type": "service", "list_price": 100.0,
         "taxes_id": [Command.set(taxes[index % len(taxes)].ids)]}
        for index in range(200)])
    order = env["sale.order"].create({
        "partner_id": partner.id,
        "order_line": [Command.create({"product_id": product.id, "product_uom_qty": 3, "price_unit": 100.0})
                       for product in products],
    })
    env.flush_all()
    order.action_apply_rebate_balance(1000.0)  # a first run compiles what a running server has compiled
    env.invalidate_all()
    # for scale: what Odoo itself takes to add one line to the same quotation (its totals and taxes)
    timed(env, "reference: add one plain line to the 200-line quotation",
          lambda: order.write({"order_line": [Command.create({"product_id": products[0].id, "price_unit": 1.0})]}))
    env.invalidate_all()
    timed(env, "apply the rebate balance on a 200-line quotation (2 taxes)",
          lambda: order.action_apply_rebate_balance(5000.0))
    print(f"   {len(order.order_line.filtered('is_rebate_discount'))} discount lines, "
          f"{order.rebate_discount_amount:.2f} untaxed")
    timed(env, "confirm it (the balance used under a row lock)", order.action_confirm)


def generate_payments(env, base):
    """Payments of the generated history, by bulk SQL: 19 invoices and credit notes in 20 paid
    (refunded), between 0 and 89 days after their date, three in ten in two parts (40 %, then 60 %
    a month later); each payment is an entry with a receivable line reconciled with the document's
    (a partial reconcile with Odoo's amounts and max date). The documents get their totals."""
    cr = env.cr
    started = time.perf_counter()
    cr.execute("""
        UPDATE account_move m SET amount_total_in_currency_signed = -r.balance_sum, amount_total = ABS(r.balance_sum),
                                  amount_total_signed = -r.balance_sum
          FROM (SELECT move_id, SUM(balance) AS balance_sum FROM account_move_line
                 WHERE display_type = 'product' GROUP BY move_id) r
         WHERE r.move_id = m.id AND m.move_type IN ('out_invoice', 'out_refund')""")
    cr.execute("""
        CREATE TEMP TABLE bench_payment ON COMMIT DROP AS
        SELECT row_number() OVER (ORDER BY day, receivable) AS n, * FROM (
            SELECT r.id AS receivable, r.move_id, r.partner_id, r.balance, part.ratio,
                   r.date + floor(random() * 90)::int + part.later * 30 AS day
              FROM account_move_line r
              CROSS JOIN LATERAL (SELECT random() < 0.3 AS split, random() < 0.95 AS paid, r.id AS ref) draw
              CROSS JOIN LATERAL (VALUES (0, CASE WHEN draw.split THEN 0.4 ELSE 1.0 END),
                                         (1, CASE WHEN draw.split THEN 0.6 ELSE 0 END)) AS part(later, ratio)
             WHERE r.display_type = 'payment_term' AND draw.paid AND part.ratio > 0) s""")
    cr.execute("""
        INSERT INTO account_move (name, move_type, state, date, journal_id, company_id, currency_id, partner_id,
                                  commercial_partner_id, auto_post, create_date, write_date)
        SELECT 'PAYBENCH/' || n, 'entry', 'posted', day, %(journal)s, %(company)s, %(currency)s, partner_id,
               partner_id, 'no', NOW(), NOW()
          FROM bench_payment ORDER BY n""", {
        "journal": env["account.journal"].search([("type", "=", "bank"), ("company_id", "=", base["company"].id)],
                                                 limit=1).id,
        "company": base["company"].id, "currency": base["company"].currency_id.id})
    cr.execute("""
        INSERT INTO account_move_line (move_id, move_name, partner_id, company_id, journal_id, account_id,
                                       currency_id, company_currency_id, date, parent_state, display_type,
                                       balance, amount_currency, debit, credit, create_date, write_date)
        SELECT m.id, m.name, p.partner_id, m.company_id, m.journal_id, %s, m.currency_id, m.currency_id, m.date,
               'posted', 'product', -ROUND(p.balance * p.ratio, 2), -ROUND(p.balance * p.ratio, 2),
               GREATEST(-ROUND(p.balance * p.ratio, 2), 0), GREATEST(ROUND(p.balance * p.ratio, 2), 0), NOW(), NOW()
          FROM bench_payment p JOIN account_move m ON m.name = 'PAYBENCH/' || p.n
         ORDER BY p.n""", [base["receivable"].id])
    # a payment's receivable line is a plain line of an entry ('product', as Odoo writes them): no
    # base reads it, the bases join customer invoices and credit notes only
    cr.execute("""
        INSERT INTO account_partial_reconcile (debit_move_id, credit_move_id, amount, debit_amount_currency,
                                               credit_amount_currency, debit_currency_id, credit_currency_id,
                                               company_id, max_date, create_date, write_date)
        SELECT CASE WHEN p.balance > 0 THEN p.receivable ELSE l.id END,
               CASE WHEN p.balance > 0 THEN l.id ELSE p.receivable END,
               ABS(ROUND(p.balance * p.ratio, 2)), ABS(ROUND(p.balance * p.ratio, 2)), ABS(ROUND(p.balance * p.ratio, 2)),
               l.currency_id, l.currency_id, l.company_id, GREATEST(p.day, l.date), NOW(), NOW()
          FROM bench_payment p
          JOIN account_move m ON m.name = 'PAYBENCH/' || p.n
          JOIN account_move_line l ON l.move_id = m.id""")
    cr.execute("SELECT COUNT(*), COUNT(DISTINCT move_id) FROM bench_payment")
    partials, moves = cr.fetchone()
    cr.execute("ANALYZE account_move_line; ANALYZE account_move; ANALYZE account_partial_reconcile")
    print(f"   generated {partials} payments reconciled with {moves} invoices and credit notes "
          f"in {time.perf_counter() - started:.1f} s")
    env.invalidate_all()


def paid_basis(env, base):
    """One amount policy counting invoices once paid, one quarter: the aggregate alone, then the
    computation (first and second run), beside the same policy on the posted basis."""
    generate_payments(env, base)
    Policy = env["rebate.policy"]
    expense = env["account.account"].search([("account_type", "=", "expense")], limit=1)
    common = {"date_start": f"{YEAR}-01-01", "date_end": f"{YEAR}-12-31", "expense_account_id": expense.id,
              "settlement_method": "credit_note", "journal_id": base["journal"].id, "period": "quarter",
              "tier_ids": [(0, 0, {"sequence": 1, "threshold": 20000, "rate": 3}),
                           (0, 0, {"sequence": 2, "threshold": 40000, "rate": 5})]}
    paid = Policy.create(dict(common, name="Bench paid", invoice_basis="paid"))
    posted = Policy.create(dict(common, name="Bench posted"))
    (paid | posted).action_activate()
    env.flush_all()
    env.invalidate_all()
    from odoo.addons.customer_rebate.engine import Period  # noqa: PLC0415
    q3 = Period(date(YEAR, 7, 1), date(YEAR, 9, 30), "quarter", 0)
    figures = []
    aggregate = timed(env, "paid basis: the aggregate of one quarter (base, period before, last year, costs)",
                      lambda: figures.append(paid._compute_period_figures(q3)))
    print(f"   {len(figures[0])} customers, paid base {sum(v['base_amount'] for v in figures[0].values()):,.2f}")
    figures = []
    timed(env, "posted basis: the same aggregate", lambda: figures.append(posted._compute_period_figures(q3)))
    print(f"   {len(figures[0])} customers, posted base {sum(v['base_amount'] for v in figures[0].values()):,.2f}")
    env.invalidate_all()
    timed(env, "paid basis: one quarter computed, first run (records created)",
          lambda: paid._compute_records(q3.date_start, q3.date_end))
    env.invalidate_all()
    timed(env, "paid basis: one quarter computed, second run (nothing changes)",
          lambda: paid._compute_records(q3.date_start, q3.date_end))
    print("slowest queries of the paid-basis aggregate:")
    explain(env, aggregate, top=1)


def overlap_resolution(env, base):
    """Four policies over every customer and product, computed on Q3: combined (no overlap
    resolution), then exclusive by priority, then exclusive by the more favourable to the customer
    (the shares of each policy per customer first). The exclusive records' bases must add up to the
    quarter's lines exactly once."""
    Policy = env["rebate.policy"]
    expense = env["account.account"].search([("account_type", "=", "expense")], limit=1)
    q3 = (date(YEAR, 7, 1), date(YEAR, 9, 30))
    tiers = [((5000, 1), (20000, 2)), ((10000, 2), (30000, 3)), ((15000, 3),), ((2000, 1), (40000, 4))]
    policies = Policy.create([
        {"name": f"Overlap {index}", "period": "quarter", "date_start": f"{YEAR}-01-01", "date_end": f"{YEAR}-12-31",
         "expense_account_id": expense.id, "settlement_method": "credit_note", "journal_id": base["journal"].id,
         "overlap_priority": 10 + index,
         "tier_ids": [(0, 0, {"sequence": n, "threshold": threshold, "rate": rate})
                      for n, (threshold, rate) in enumerate(steps)]}
        for index, steps in enumerate(tiers)])
    # every line is in the first and last policies' scope; the two others take part of the products
    policies[1].product_category_ids = base["categories"][:10]
    policies[2].product_category_ids = base["categories"][5:15]
    policies.action_activate()
    env.cr.execute("""SELECT SUM(-l.balance) FROM account_move_line l JOIN account_move m ON m.id = l.move_id
                       WHERE l.display_type = 'product' AND l.parent_state = 'posted'
                         AND m.move_type IN ('out_invoice', 'out_refund') AND l.invoice_date BETWEEN %s AND %s""", q3)
    lines_total = float(env.cr.fetchone()[0])
    results, results_parts = {}, {}
    for label, values in (("combined (every policy counts every line)", {"combinable": True}),
                          ("exclusive, by priority", {"combinable": False, "overlap_rule": "priority"}),
                          ("exclusive, by the more favourable to the customer",
                           {"combinable": False, "overlap_rule": "favourable"})):
        policies.write(values)
        # each mode from no records: what is timed is the computation, not the removal of the last one's
        env.flush_all()
        env.cr.execute("DELETE FROM rebate_record WHERE policy_id IN %s", [tuple(policies.ids)])
        env.invalidate_all()
        # the overlap resolution's own parts: the shares (favourable), what records lost (one
        # aggregate per policy), and the base aggregates that carry the exclusion conditions
        spent = {"shares": 0.0, "attribution": 0.0, "base aggregates": 0.0}
        policy_class = type(policies)

        def clocked(name, method):
            def wrapper(self, *args, **kwargs):
                start = time.perf_counter()
                try:
                    return method(self, *args, **kwargs)
                finally:
                    spent[name] += time.perf_counter() - start
            return wrapper

        with patch.object(policy_class, "_overlap_shares", clocked("shares", policy_class._overlap_shares)), \
                patch.object(policy_class, "_record_overlaps", clocked("attribution", policy_class._record_overlaps)), \
                patch.object(policy_class, "_compute_period_figures",
                             clocked("base aggregates", policy_class._compute_period_figures)):
            log = timed(env, f"four policies, Q3, {label}", lambda: policies._compute_records(*q3))
        print("   " + ", ".join(f"{name} {value:.2f} s" for name, value in spent.items()))
        results_parts[label] = spent
        env.cr.execute("""SELECT COUNT(*), SUM(base_amount) FROM rebate_record
                           WHERE policy_id IN %s AND date_start = %s""", [tuple(policies.ids), q3[0]])
        count, bases = env.cr.fetchone()
        env.cr.execute("""SELECT COUNT(*), SUM(o.base_amount) FROM rebate_record_overlap o
                            JOIN rebate_record r ON r.id = o.record_id
                           WHERE r.policy_id IN %s AND r.date_start = %s""", [tuple(policies.ids), q3[0]])
        overlap_count, overlap_sum = env.cr.fetchone()
        print(f"   {count} records, bases {float(bases or 0):,.2f} (quarter's lines {lines_total:,.2f}); "
              f"{overlap_count} 'counted by another policy' rows, {float(overlap_sum or 0):,.2f}")
        if values["combinable"] is False:
            assert abs(float(bases) - lines_total) < 0.01 * max(1, count), "a line earned twice (or not at all)"
            print("   every line of the quarter counted once across the exclusive policies")
        results[label] = log.elapsed
        explain(env, log, top=2)
    combined = results["combined (every policy counts every line)"]
    combined_bases = results_parts["combined (every policy counts every line)"]["base aggregates"]
    for label, elapsed in results.items():
        parts = results_parts[label]
        # what records lost, and what the exclusion conditions (with the shares, read while the
        # conditions are built) add to the base aggregates
        resolution = parts["attribution"] + max(parts["base aggregates"] - combined_bases, 0.0)
        print(f"OVERLAP {label}: {elapsed:.2f} s ({elapsed - combined:+.2f} s against combined); "
              f"overlap resolution {resolution:.2f} s")


def pooled_run(env, base, groups, advances=False, profile=False):
    """Group volume at scale: every customer in one of ``groups`` groups, three ways (a parent
    company with its branches, a named customer group paid to its head, a customer tag); one
    yearly policy each over the year ``YEAR`` (``advances``: advanced quarterly at the tier the
    group's year to date reached, four advances and the year-end settlement per customer or
    head): the first run (records created), a second run (nothing changes), and an incremental
    run after 20 credit notes posted through the ORM (each recomputes its customer's whole
    group)."""
    import random  # noqa: PLC0415
    from odoo import Command  # noqa: PLC0415
    cr = env.cr
    partner_ids = base["partner_ids"]
    # a parent company per group, every customer (a company) a branch of one of them
    cr.execute("""
        INSERT INTO res_partner (name, complete_name, active, type, is_company, autopost_bills, create_date, write_date)
        SELECT 'Bench parent ' || n, 'Bench parent ' || n, TRUE, 'contact', TRUE, 'ask', NOW(), NOW()
          FROM generate_series(1, %s) n RETURNING id""", [groups])
    parents = [row[0] for row in cr.fetchall()]
    cr.execute("UPDATE res_partner SET commercial_partner_id = id WHERE id = ANY(%s)", [parents])
    cr.execute("""UPDATE res_partner partner SET parent_id = (%s::int[])[1 + (t.n %% %s)]
                    FROM unnest(%s::int[]) WITH ORDINALITY AS t(id, n) WHERE partner.id = t.id""",
               [parents, groups, partner_ids])
    # a pooled tag per group
    tags = env["res.partner.category"].create([{"name": f"Bench pool tag {i}"} for i in range(groups)])
    cr.execute("""INSERT INTO res_partner_res_partner_category_rel (partner_id, category_id)
                  SELECT t.id, (%s::int[])[1 + (t.n %% %s)] FROM unnest(%s::int[]) WITH ORDINALITY AS t(id, n)""",
               [tags.ids, groups, partner_ids])
    env.invalidate_all()
    members = [partner_ids[i::groups] for i in range(groups)]
    customer_groups = env["rebate.customer.group"].create([
        {"name": f"Bench group {i}", "head_id": chunk[0], "member_ids": [Command.set(chunk)]}
        for i, chunk in enumerate(members) if chunk])
    expense = env["account.account"].search([("account_type", "=", "expense")], limit=1)
    common = {"date_start": f"{YEAR}-01-01", "date_end": f"{YEAR}-12-31", "period": "year",
              "expense_account_id": expense.id, "settlement_method": "credit_note", "journal_id": base["journal"].id,
              "tier_ids": [(0, 0, {"sequence": 1, "threshold": 500000, "rate": 2}),
                           (0, 0, {"sequence": 2, "threshold": 1000000, "rate": 4})]}
    if advances:
        common.update(advance_period="quarter", advance_mode="tier")
    Policy = env["rebate.policy"]
    policies = [
        Policy.create(dict(common, name="Bench pooled by parent company", pool_mode="parent")),
        Policy.create(dict(common, name="Bench pooled by customer group, paid to the head", pool_mode="group",
                           pool_group_ids=[Command.set(customer_groups.ids)], pool_payout="head")),
        Policy.create(dict(common, name="Bench pooled by tag", pool_mode="tag", pool_category_ids=[Command.set(tags.ids)])),
    ]
    for policy in policies:
        if advances:
            policy.name = f"{policy.name}, advanced quarterly"
        policy.action_activate()
    env.flush_all()
    figures = []
    rng = random.Random(13)
    for policy in policies:
        env.invalidate_all()
        first = timed(env, f"POOLED {policy.name}: {len(partner_ids)} customers in {groups} groups, the year "
                           f"{YEAR}, first run (records created)", policy._compute_records)
        records = env["rebate.record"].search([("policy_id", "=", policy.id)])
        pooled = records.filtered("pool_key")
        print(f"   {len(records)} records ({len(pooled)} pooled, {len(set(pooled.mapped('pool_key')))} groups), "
              f"rebates {sum(records.mapped('amount')):,.2f}, below the first tier alone: "
              f"{sum(1 for r in records if r.base_amount < 500000 and r.kind != 'advance')}")
        if advances:
            kinds = {kind: count for kind, count in env["rebate.record"]._read_group(
                [("policy_id", "=", policy.id)], ["kind"], ["__count"])}
            print(f"   {kinds.get('advance', 0)} advances, {kinds.get('final', 0)} year-end settlements")
        env.invalidate_all()
        second_run = policy._compute_records
        if profile:
            import cProfile  # noqa: PLC0415
            import pstats  # noqa: PLC0415
            profiler = cProfile.Profile()
            second_run = lambda profiler=profiler, policy=policy: profiler.runcall(policy._compute_records)  # noqa: E731
        timed(env, f"POOLED {policy.name}: second run (nothing changes)", second_run)
        if profile:
            pstats.Stats(profiler).sort_stats("tottime").print_stats(20)
        cr.execute("SAVEPOINT pooled_changes")
        moves = env["account.move"].create([{
            "move_type": "out_refund",
            "partner_id": partner_ids[rng.randrange(len(partner_ids))],
            "invoice_date": f"{YEAR}-{rng.randint(1, 12):02d}-10",
            "journal_id": base["journal"].id,
            "invoice_line_ids": [Command.create({"product_id": base["products"][0].id, "quantity": 1,
                                                "price_unit": 50.0})],
        } for _index in range(20)])
        moves.action_post()
        env.flush_all()
        env.invalidate_all()
        incremental = timed(env, f"POOLED {policy.name}: incremental run after 20 credit notes",
                            lambda policy=policy: policy._compute_records(incremental=True))
        cr.execute("ROLLBACK TO SAVEPOINT pooled_changes")
        figures.append((policy, first, incremental))
    for policy, first, _incremental in figures:
        print(f"slowest queries of the first run, {policy.name}:")
        explain(env, first, top=2)
    return figures


def advances(env, profile=False):
    """年度返利，季度预返: 5 % once the year reaches 400,000, advanced quarterly at 3 %, over every
    customer, computed for the whole year (four advances and the year-end settlement each)."""
    expense = env["account.account"].search([("account_type", "=", "expense")], limit=1)
    journal = env["account.journal"].search([("type", "=", "sale"), ("company_id", "=", env.company.id)], limit=1)
    policy = env["rebate.policy"].create({
        "name": "Bench yearly advances", "period": "year", "date_start": f"{YEAR}-01-01",
        "date_end": f"{YEAR}-12-31", "expense_account_id": expense.id, "settlement_method": "credit_note",
        "journal_id": journal.id,
        "advance_period": "quarter", "advance_mode": "rate", "advance_rate": 3.0,
        "tier_ids": [(0, 0, {"sequence": 1, "threshold": 400000, "rate": 5})],
    })
    policy.action_activate()
    env.flush_all()
    env.invalidate_all()
    first = timed(env, "yearly policy, quarterly advances, whole year, first run (records created)",
                  policy._compute_records)
    Record = env["rebate.record"]
    for kind, count in Record._read_group([("policy_id", "=", policy.id)], ["kind"], ["__count"]):
        print(f"   {count} {kind} records")
    env.invalidate_all()
    second_run = policy._compute_records
    if profile:
        import cProfile  # noqa: PLC0415
        import pstats  # noqa: PLC0415
        profiler = cProfile.Profile()
        second_run = lambda: profiler.runcall(policy._compute_records)  # noqa: E731
    timed(env, "yearly policy, quarterly advances, second run (nothing changes)", second_run)
    if profile:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    # the first three advances confirmed (in SQL: a benchmark of the computation, not of confirming)
    env.cr.execute("""UPDATE rebate_record SET state = 'confirmed'
                       WHERE policy_id = %s AND kind = 'advance' AND date_end < %s""", [policy.id, f"{YEAR}-10-01"])
    env.invalidate_all()
    timed(env, "yearly policy, quarterly advances, three advances confirmed, whole year again",
          policy._compute_records)
    print("slowest queries of the first run:")
    explain(env, first, top=2)


def main():
    args = parse_args()
    import odoo  # noqa: PLC0415
    from odoo import SUPERUSER_ID, api  # noqa: PLC0415
    from odoo.modules.registry import Registry  # noqa: PLC0415
    from odoo.tools import config  # noqa: PLC0415

    config.parse_config(["--addons-path", args.addons_path, "-d", args.database, "--log-level=warn",
                        "--http-interface=127.0.0.1"])
    registry = Registry(args.database)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        if args.balance_only:
            rebate_balance(env)
            cr.rollback()
            return
        started = time.perf_counter()
        first_year = YEAR - args.years + 1
        base = kept_base(env) if args.keep else None
        kept = base is not None
        if kept:
            print("reusing the history kept by an earlier run (--keep); drop the database to generate it again")
            started = None
        else:
            base = generate_base(env, args.customers, args.products)
        tags, categories, products = base["tags"], base["categories"], base["products"]
        daily, daily_policy_set = [], env["rebate.policy"]
        daily_years = {int(y) for y in args.daily_years.split(",")} if args.daily_years else None
        if args.keep and not kept:
            for year in range(first_year, YEAR + 1):
                generate_year(env, base, year, args.lines, args.lines_per_move)
            cr.commit()
            vacuum(args.database)
            print("history committed (--keep): the next run with --keep reuses it")
        # the history grows a year at a time, the policies (from its first year on) follow it
        for year in range(first_year, YEAR + 1):
            if not args.keep:
                generate_year(env, base, year, args.lines, args.lines_per_move)
            if args.daily_policies:
                if not daily_policy_set:
                    daily_policy_set = daily_policies(env, tags, categories, first_year, args.daily_policies)
                if daily_years is None or year - first_year + 1 in daily_years or year == YEAR:
                    daily.append((year - first_year + 1, *daily_run(
                        env, base, daily_policy_set, first_year, year, args.daily_lines, args.daily_credit_notes,
                        repeat=args.repeat, profile=args.profile and year == YEAR)))
        report_lines(env, started)
        if args.pooled:
            pooled_run(env, base, args.groups, advances=args.advances, profile=args.profile)
            cr.rollback()
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"peak memory of the process: {peak:.0f} MB")
            return
        if daily:
            figures = [log.best for _years, log, _full in daily]
            print("DAILY RUN with " + ", ".join(str(years) for years, _log, _full in daily) + " year(s) of history, "
                  "best: " + ", ".join(f"{f:.2f} s" for f in figures)
                  + f" (largest / smallest: {max(figures) / min(figures):.2f}); median: "
                  + ", ".join(f"{log.median:.2f} s" for _years, log, _full in daily))
        # the modes measured alone: run, roll back, memory
        alone = [run for wanted, run in ((args.paid_basis, lambda: paid_basis(env, base)),
                                         (args.overlap, lambda: overlap_resolution(env, base)),
                                         (args.advances, lambda: advances(env, profile=args.profile)))
                 if wanted]
        if alone:
            alone[0]()
            cr.rollback()
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"peak memory of the process: {peak:.0f} MB")
            return
        if args.daily_only:
            print(f"slowest queries of the daily run ({daily[-1][0]} years of history):")
            explain(env, daily[-1][1], top=3)
            cr.rollback()
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"peak memory of the process: {peak:.0f} MB")
            return
        Policy = env["rebate.policy"]
        expense = env["account.account"].search([("account_type", "=", "expense")], limit=1)
        common = {"date_start": f"{YEAR}-01-01", "date_end": f"{YEAR}-12-31", "expense_account_id": expense.id,
                  "settlement_method": "credit_note", "journal_id": base["journal"].id}
        amount = Policy.create(dict(common, name="Bench amount", period="quarter",
                                    tier_ids=[(0, 0, {"sequence": 1, "threshold": 20000, "rate": 3}),
                                              (0, 0, {"sequence": 2, "threshold": 40000, "rate": 5})]))
        quantity = Policy.create(dict(common, name="Bench quantity", rebate_type="quantity", basis="quantity",
                                      period="quarter", amount_type="fixed",
                                      tier_ids=[(0, 0, {"sequence": 1, "threshold": 300, "fixed_amount": 100}),
                                                (0, 0, {"sequence": 2, "threshold": 600, "fixed_amount": 300})]))
        promotion = Policy.create(dict(common, name="Bench promotion", rebate_type="promotion", period="window",
                                       date_start=f"{YEAR}-06-01", date_end=f"{YEAR}-08-31",
                                       product_category_ids=[(6, 0, categories[:5].ids)],
                                       tier_ids=[(0, 0, {"threshold": 1000, "rate": 4})]))
        partnership = Policy.create(dict(common, name="Bench partnership", rebate_type="partnership",
                                         period="quarter", min_seniority_months=3, tier_mode="incremental",
                                         partner_category_ids=[(6, 0, tags[:5].ids)],
                                         tier_ids=[(0, 0, {"sequence": 1, "threshold": 0, "rate": 1}),
                                                   (0, 0, {"sequence": 2, "threshold": 30000, "rate": 2})]))
        policies = amount | quantity | promotion | partnership
        policies.action_activate()
        env.flush_all()
        env.invalidate_all()

        q3 = (f"{YEAR}-07-01", f"{YEAR}-09-30")
        first_run = lambda: amount._compute_records(*q3)  # noqa: E731
        if args.profile:
            profiled(env, first_run)
        log = repeated(env, "one amount policy, one quarter, first run (records created)", first_run,
                       args.repeat, keep_last=True)
        records = env["rebate.record"].search_count([("policy_id", "=", amount.id)])
        print(f"   {records} records")
        estimate_writes(env, amount, first_run, args.repeat)
        env.invalidate_all()
        if args.profile:
            profiled(env, first_run)
        second = repeated(env, "one amount policy, one quarter, second run (nothing changes)", first_run, args.repeat)
        # the same without the index the bases rely on (dropped in a savepoint, then restored)
        env.cr.execute("SAVEPOINT without_index")
        env.cr.execute("DROP INDEX account_move_line_rebate_base_idx")
        env.invalidate_all()
        timed(env, "   the same second run WITHOUT account_move_line_rebate_base_idx",
              lambda: amount._compute_records(*q3))
        env.cr.execute("ROLLBACK TO SAVEPOINT without_index")
        env.invalidate_all()
        full = repeated(env, "four policies, every quarter of the year", policies._compute_records, args.repeat,
                        keep_last=True)
        print(f"   {env['rebate.record'].search_count([('policy_id', 'in', policies.ids)])} records")
        export_detail(env, policies)
        projection_log = project_order(env, products, args.repeat)
        if args.settle:
            settle(env, amount, args.settle)
        rebate_balance(env)
        print("\nslowest queries of the second run:")
        explain(env, second)
        print("slowest queries of the first run:")
        explain(env, log)
        print("slowest queries of the four policies:")
        explain(env, full, top=3)
        if daily:
            print(f"slowest queries of the daily run ({daily[-1][0]} years of history):")
            explain(env, daily[-1][1], top=3)
            print("slowest queries of the complete computation of the daily policies:")
            explain(env, daily[-1][2], top=1)
        print("slowest queries of the projection:")
        explain(env, projection_log, top=2)
        env.cr.execute("""SELECT indexname, indexdef FROM pg_indexes
                           WHERE indexname IN ('account_move_line_rebate_base_idx', 'account_move__invoice_date_index',
                                               'account_move_line_rebate_partner_idx',
                                               'account_move_rebate_first_invoice_idx', 'rebate_record_policy_period_idx',
                                               'rebate_record_draft_period_end_idx', 'rebate_record_record_unique',
                                               'rebate_compute_queue__policy_id_index', 'account_move_line_pkey')
                           ORDER BY indexname""")
        print("indexes the addon relies on:")
        for name, definition in env.cr.fetchall():
            print(f"   {name}: {definition}")
        cr.rollback()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of the process: {peak:.0f} MB")


if __name__ == "__main__":
    main()
