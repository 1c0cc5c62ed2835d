import { registry } from "@web/core/registry";

// A portal customer opens their rebates, then the terms and their progress.
registry.category("web_tour.tours").add("customer_rebate_portal_rebates", {
    url: "/my/rebates",
    steps: () => [
        {
            content: "The rebates page says so in its breadcrumb",
            trigger: ".o_portal_submenu .breadcrumb-item:contains(Rebates)",
        },
        {
            content: "Open the terms and progress",
            trigger: "a.o_rebate_terms_link",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The policy's terms in words",
            trigger: ".o_rebate_portal_policy .o_rebate_portal_terms:contains(5 % of quarterly purchases)",
        },
        {
            content: "What the customer bought so far",
            trigger: ".o_rebate_portal_policy .o_rebate_portal_to_date:contains(60,000.00)",
        },
        {
            content: "What the next tier needs",
            trigger: ".o_rebate_portal_policy .o_rebate_portal_next:contains(40,000.00)",
        },
    ],
});
