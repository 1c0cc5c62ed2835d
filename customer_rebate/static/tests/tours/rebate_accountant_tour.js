import { registry } from "@web/core/registry";

// An accountant follows a cash payout from its settlement to the journal entry it made.
registry.category("web_tour.tours").add("customer_rebate_accountant", {
    steps: () => [
        {
            content: "open the settlement",
            trigger: ".o_data_row:contains(Tour Earner) .o_data_cell[name=name]",
            run: "click",
        },
        {
            content: "whether the entry is paid is on the settlement",
            trigger: ".o_form_view .o_field_widget[name=payout_payment_state]",
        },
        {
            content: "the button names the document",
            trigger: "button[name=action_view_move]:contains(Journal entry MISC/)",
            run: "click",
        },
        {
            content: "the journal entry opens, on the customer",
            trigger: ".o_form_view .o_field_widget[name=partner_id]:contains(Tour Earner)",
        },
    ],
});
