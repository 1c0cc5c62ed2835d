import { registry } from "@web/core/registry";

// A salesperson opens a quotation and sees where the customer stands with their rebates.
registry.category("web_tour.tours").add("customer_rebate_quotation_projection", {
    steps: () => [
        {
            content: "The quotation is open",
            trigger: ".o_form_view .o_field_widget[name=partner_id]",
        },
        {
            content: "The projection names the policy",
            trigger: ".o_rebate_projection_form table.o_rebate_projection td:contains(Quarterly volume rebate)",
        },
        {
            content: "It shows what the customer bought in the period so far",
            trigger: ".o_rebate_projection_form table.o_rebate_projection td:contains(60,000.00)",
        },
        {
            content: "And what the next tier needs",
            trigger: ".o_rebate_projection_form:contains(to reach 5)",
        },
    ],
});
