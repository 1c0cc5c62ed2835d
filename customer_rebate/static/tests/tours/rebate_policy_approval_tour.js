import { registry } from "@web/core/registry";

// A policy waiting for approval, already approved by marketing (another person, in Python):
// finance approves in the form, then it is activated. One person never gives both approvals.
registry.category("web_tour.tours").add("customer_rebate_policy_approval", {
    steps: () => [
        {
            content: "The policy waits for approval",
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains(To Approve)",
        },
        {
            content: "Activation is not offered before both approvals",
            trigger: ".o_form_view:not(:has(button[name=action_activate]))",
        },
        {
            content: "Approve for finance",
            trigger: "button[name=action_approve_finance]",
            run: "click",
        },
        {
            content: "Marketing approved already: its button is gone",
            trigger: ".o_form_view:not(:has(button[name=action_approve_marketing]))",
        },
        {
            content: "Both approvals are shown",
            trigger: ".o_notebook a.nav-link:contains(Approval)",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=marketing_approver_id]:not(:empty)",
        },
        {
            content: "Activate the approved policy",
            trigger: "button[name=action_activate]",
            run: "click",
        },
        {
            content: "The policy is active",
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains(Active)",
        },
    ],
});
