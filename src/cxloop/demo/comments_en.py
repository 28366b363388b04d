"""English comment fragments, by topic and polarity (same topics as ``comments_zh``).

Fragments are sentences without final punctuation; ``comments.compose`` joins them.
"""

from __future__ import annotations

from cxloop.demo.comments_zh import Fragments

FRAGMENTS: Fragments = {
    "overall": {
        "pos": (
            "Overall very happy with the platform", "It has been rock solid for us for two years",
            "The product keeps getting better", "Great value for money, the team relies on it every day",
            "Having collaboration and reporting in one place saves us a lot of time",
            "Much easier to use than our previous tool", "I have already recommended it to a few peers",
        ),
        "neg": (
            "Overall it has not lived up to expectations", "We seem to run into more issues every quarter",
            "It is quite different from what we were shown in the sales demo",
            "Several promised features are still missing", "Internal feedback on the tool is lukewarm",
        ),
        "ask": ("Keep it up", "Would love to see faster release cycles", "Please listen more to day-to-day users"),
    },
    "price": {
        "pos": ("Pricing is fair compared to alternatives", "We got a good discount at renewal",
                "Per-seat pricing is flexible"),
        "neg": (
            "It is on the expensive side, especially additional seats", "The renewal price went up too much",
            "Too many features are paid add-ons", "Invoices take far too long to arrive",
            "The billing does not match our contract",
        ),
        "ask": ("A plan for smaller teams would help", "Loyalty pricing at renewal would be appreciated",
                "Please make the invoices clearer"),
    },
    "performance": {
        "pos": ("The system is fast and responsive", "Much smoother since the last update",
                "No lag even with hundreds of users online"),
        "neg": (
            "The system is often sluggish in the morning peak", "Large sheets take ages to open",
            "Pages load very slowly from our Singapore office", "The mobile app keeps spinning",
            "Search takes several seconds to return anything",
        ),
        "ask": ("Please improve performance for large data sets", "The mobile app needs to be faster"),
    },
    "bug": {
        "pos": ("The bugs we reported were all fixed", "Recent releases have been very stable"),
        "neg": (
            "We keep hitting random errors", "We occasionally lose changes when saving",
            "Several features broke after the last update", "Approval flows sometimes get stuck",
            "Notifications often never arrive", "I have reported the same bug several times",
        ),
        "ask": ("Please test releases more thoroughly", "Let us know when a reported bug is fixed"),
    },
    "usability": {
        "pos": ("Clean interface and easy to pick up", "Very intuitive, new hires need almost no training",
                "The templates are genuinely useful"),
        "neg": (
            "Menus are nested too deeply", "The settings are confusing", "Permission setup is far too complex",
            "The redesign takes a lot of getting used to", "Bulk editing is painful",
        ),
        "ask": ("Keyboard shortcuts would help", "Please simplify the permission settings"),
    },
    "onboarding": {
        "pos": ("The implementation consultant was excellent, we went live in two weeks",
                "The onboarding checklist made setup easy", "Training was well organised"),
        "neg": (
            "Initial configuration was tedious", "Data migration took much longer than planned",
            "Importing historical data kept failing on format errors", "Training was too shallow",
        ),
        "ask": ("More setup templates would help", "Video tutorials would be great"),
    },
    "support_speed": {
        "pos": ("Support responded very quickly", "My ticket was picked up within half an hour",
                "The issue was solved the same day"),
        "neg": (
            "I waited {days} days for a first reply", "The issue dragged on for over a week",
            "I had to explain the problem again to every new person", "Nobody is reachable in our time zone",
        ),
        "ask": ("24/7 support would be valuable", "Please show ticket progress in real time"),
    },
    "staff_attitude": {
        "pos": ("{agent} was patient and explained everything clearly", "{agent} went above and beyond",
                "The support engineer was professional and friendly"),
        "neg": (
            "The answers felt scripted", "{agent} kept asking me to clear my cache, which did not help",
            "The agent did not seem to know the product well", "The tone was rather dismissive",
        ),
        "ask": ("Support staff could use more product training",),
    },
    "resolution": {
        "pos": ("The problem is fully resolved", "The workaround was practical and easy to apply"),
        "neg": ("The issue is still not fixed", "The suggested fix did not work",
                "The ticket was closed but the problem remains"),
        "ask": ("Please confirm with us before closing tickets",),
    },
    "feature_request": {
        "pos": ("The new dashboards are really useful", "Custom approval flows made a big difference"),
        "neg": ("Still waiting for offline mode on mobile", "There is no field-level permission control",
                "Lack of an audit log is a blocker for our compliance team"),
        "ask": ("Please add a Microsoft Teams integration", "An SAP connector would be great",
                "Please open up more of the API", "A Gantt view would help our project teams"),
    },
    "documentation": {
        "pos": ("The documentation is thorough", "The API docs are clear and made integration easy"),
        "neg": ("The help pages are out of date", "The API docs lack examples",
                "The English documentation lags behind the Chinese one"),
        "ask": ("Please keep the docs up to date", "More real-world examples would help"),
    },
    "integration": {
        "pos": ("The ERP integration went smoothly", "The open API is easy to work with"),
        "neg": ("Sync with our ERP fails regularly", "The API rate limits are too low",
                "SSO setup took days"),
        "ask": ("Please support more third-party systems", "A sync log would help troubleshooting"),
    },
    "login": {
        "pos": ("My account issue was sorted out quickly",),
        "neg": ("I keep getting logged out", "Verification codes do not arrive", "Permission changes do not apply"),
        "ask": ("Please allow admins to reset passwords in bulk",),
    },
    "export": {
        "pos": ("Exporting reports to Excel is one click", "Scheduled report exports by e-mail work great"),
        "neg": ("Exported Excel files are sometimes misaligned", "Large report exports are slow",
                "I cannot choose which fields to export"),
        "ask": ("More export formats would help", "Custom export templates please"),
    },
    "export_defect": {
        "pos": ("{agent} gave us a workaround, exporting month by month, until the export bug is fixed",
                "{agent} exported the data for us manually so we could meet our deadline"),
        "neg": (
            "Report export keeps failing since the last update", "Excel export times out every time",
            "Exported files are full of garbled characters", "We could not export our month-end reports",
            "Export fails with a server error", "The exported file is missing rows",
            "This export issue has been open for weeks",
        ),
        "ask": ("Please fix the export bug urgently", "When will the export issue be fixed?",
                "Please announce known issues proactively"),
    },
    "export_fixed": {
        "pos": ("Thanks for fixing the export issue", "Report export works again after the update, thank you",
                "Export is now faster than before the bug"),
        "neg": ("The export fix came late and cost us a lot of manual work",),
        "ask": ("Please test core features like export before releasing",),
    },
}

OPENERS: dict[str, tuple[str, ...]] = {
    "pos": ("Honestly, ", "Overall, ", "As a long-time customer: ", ""),
    "neg": ("Honestly, ", "To be frank, ", "As a long-time customer: ", "Lately, "),
    "mix": ("Mixed feelings. ", "Overall OK. ", ""),
}
CLOSERS: dict[str, tuple[str, ...]] = {
    "pos": ("Keep it up!", "Thanks!", "Great job.", "Much appreciated."),
    "neg": ("Very disappointing.", "Please fix this soon.", "We are considering alternatives.",
            "This really affects our work."),
    "mix": ("Room for improvement.", "Hope this gets better."),
}
SHORT: dict[str, tuple[str, ...]] = {
    "pos": ("Great", "Very good", "Happy with it", "Excellent support", "All good"),
    "neg": ("Too slow", "Not happy", "Too many issues", "Disappointing"),
    "mix": ("OK", "Average", "It's fine", "So-so"),
}
