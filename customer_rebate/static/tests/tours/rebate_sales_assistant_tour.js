import { registry } from "@web/core/registry";

// A sales assistant finds the customers who earned a rebate last quarter and opens the invoice
// lines behind one of them. The records are made by the Python test (test_tours.py).
function lastQuarterLabel() {
    const today = new Date();
    const quarter = Math.floor(today.getMonth() / 3); // the current one, 0-based: the last one 1-based
    return quarter === 0 ? `Q4 ${today.getFullYear() - 1}` : `Q${quarter} ${today.getFullYear()}`;
}

registry.category("web_tour.tours").add("customer_rebate_sales_assistant", {
    steps: () => [
        {
            content: "the records are grouped by policy: open the policy",
            trigger: ".o_group_name:contains(Tour volume rebate)",
            run: "click",
        },
        {
            content: "open last quarter",
            trigger: `.o_group_name:contains(${lastQuarterLabel()})`,
            run: "click",
        },
        {
            content: "open the customer who earned a rebate",
            trigger: ".o_data_row:contains(Tour Earner) .o_data_cell[name=partner_id]",
            run: "click",
        },
        {
            content: "the record says how the rebate was worked out",
            trigger: ".o_form_view .alert-info:contains(reached tier 1)",
        },
        {
            content: "open the invoice lines",
            trigger: "button[name=action_view_invoice_lines]",
            run: "click",
        },
        {
            content: "a sales view: the untaxed amount, no debit or credit",
            trigger: ".o_list_view th[data-name=rebate_sales_amount]",
        },
        {
            trigger: ".o_list_view:not(:has(th[data-name=debit]))",
        },
        {
            content: "one line per invoice line, with its invoice",
            trigger: ".o_data_row .o_data_cell[name=move_id]:contains(INV/)",
        },
    ],
});
