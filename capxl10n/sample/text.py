"""Word lists the sample generator composes English capacity names and descriptions from.

Kept apart from :mod:`capxl10n.sample.generate` so the generator's logic stays short
and the vocabulary can grow without touching it. Everything here is written
for this project (no text is copied from the real directory); it only has to
*read* like the real one: skills Wikimedians teach each other, named the way
the CapX directory names them, described in one sentence without a final
full stop.
"""
from __future__ import annotations

from typing import Final

#: The seven roots of the real tree: (root name used by the app, English label).
ROOTS: Final[tuple[tuple[str, str], ...]] = (
    ("organizational", "Organizational structure"),
    ("communication", "Communication"),
    ("learning", "Learning and evaluation"),
    ("community", "Community health initiative"),
    ("social", "Social skill"),
    ("strategic", "Strategic management"),
    ("technology", "Technology"),
)

#: Share of the capacities under each root (shaped on the real directory).
ROOT_WEIGHTS: Final[dict[str, float]] = {
    "organizational": 0.21, "communication": 0.10, "learning": 0.19, "community": 0.06,
    "social": 0.07, "strategic": 0.23, "technology": 0.14,
}

ROOT_DESCRIPTIONS: Final[dict[str, str]] = {
    "organizational": "The structures, roles and routines that let Wikimedia affiliates and volunteer "
                      "groups make decisions, manage money and run their work",
    "communication": "Sharing the work of Wikimedia communities with each other and with the public, "
                     "in writing, in speech and on social media",
    "learning": "Teaching, learning and measuring what works, from first edits to programme evaluation",
    "community": "Keeping Wikimedia communities safe, welcoming and sustainable for everyone who takes part",
    "social": "The personal skills that make collaboration among volunteers from different backgrounds work",
    "strategic": "Setting direction, building partnerships and planning for the long-term impact of "
                 "free knowledge work",
    "technology": "Software, data and tools that Wikimedians build and use to contribute to the projects",
}

#: Broad topics: the second level of the tree, per root.
TOPICS: Final[dict[str, tuple[str, ...]]] = {
    "organizational": ("Finance", "Governance", "Human resources", "Legal compliance", "Event management",
                       "Grant management", "Administration", "Volunteer management", "Fundraising",
                       "Risk management", "Membership", "Procurement", "Office management",
                       "Project management", "Internal policies", "Assessment"),
    "communication": ("Public speaking", "Writing", "Social media", "Press relations", "Storytelling",
                      "Translation", "Newsletters", "Visual communication", "Campaigns", "Blogging",
                      "Video production", "Photography", "Podcasting", "Internal communication"),
    "learning": ("Training", "Evaluation", "Mentoring", "Education programs", "Survey design",
                 "Workshops", "Tutorials", "Documentation", "Online courses", "Peer learning",
                 "Metrics", "Wikimedia tools", "Learning patterns", "Research methods"),
    "community": ("Conflict resolution", "Safety", "Inclusion", "Onboarding", "Moderation",
                  "Well-being", "Code of conduct", "Accessibility", "Recognition", "Retention",
                  "Harassment prevention", "Community care"),
    "social": ("Leadership", "Teamwork", "Empathy", "Negotiation", "Facilitation", "Active listening",
               "Intercultural communication", "Feedback", "Networking", "Time management",
               "Decision making", "Collaboration"),
    "strategic": ("Partnerships", "Advocacy", "Planning", "Research", "Movement strategy", "Policy",
                  "Impact assessment", "Sustainability", "Open knowledge", "Knowledge equity",
                  "Program design", "Public policy", "Open licensing", "Cultural heritage",
                  "Language diversity", "Gender gap"),
    "technology": ("Wikidata", "Bots", "Templates", "Lua", "Data analysis", "SPARQL", "Tool development",
                   "Structured data", "Machine learning", "Web development", "Accessibility testing",
                   "OpenRefine", "MediaWiki", "Toolforge", "Gadgets", "APIs"),
}

#: Verbs in -ing form that start a third-level capacity name, per root.
GERUNDS: Final[dict[str, tuple[str, ...]]] = {
    "organizational": ("Organizing", "Managing", "Planning", "Drafting", "Reviewing", "Coordinating",
                       "Auditing", "Documenting", "Negotiating", "Preparing", "Monitoring", "Running"),
    "communication": ("Writing", "Editing", "Presenting", "Publishing", "Promoting", "Designing",
                      "Recording", "Translating", "Announcing", "Moderating", "Pitching", "Illustrating"),
    "learning": ("Teaching", "Evaluating", "Designing", "Facilitating", "Measuring", "Mentoring in",
                 "Assessing", "Running", "Documenting", "Analyzing", "Testing", "Coaching in"),
    "community": ("Welcoming", "Supporting", "Mediating", "Protecting", "Recognizing", "Moderating",
                  "Including", "Listening to", "Reporting", "Preventing", "Handling", "Resolving"),
    "social": ("Leading", "Building", "Giving", "Receiving", "Facilitating", "Negotiating", "Motivating",
               "Delegating", "Encouraging", "Sharing", "Bridging", "Hosting"),
    "strategic": ("Building", "Planning", "Evaluating", "Advocating for", "Designing", "Researching",
                  "Mapping", "Scaling", "Prioritizing", "Forecasting", "Aligning", "Sustaining"),
    "technology": ("Querying", "Scripting", "Programming", "Maintaining", "Deploying", "Visualizing",
                   "Cleaning", "Importing", "Modeling", "Debugging", "Automating", "Testing"),
}

#: Objects of those verbs, per root.
OBJECTS: Final[dict[str, tuple[str, ...]]] = {
    "organizational": ("edit-a-thons", "annual budgets", "grant applications", "board meetings",
                       "affiliate bylaws", "volunteer rosters", "annual reports", "event logistics",
                       "partnership agreements", "expense claims", "meeting minutes", "travel grants",
                       "photo contests", "office hours", "election processes", "membership fees",
                       "conference scholarships", "staff contracts", "insurance policies", "inventories"),
    "communication": ("press releases", "blog posts", "newsletters", "conference talks", "social media posts",
                      "infographics", "campaign messages", "interviews", "slide decks", "short videos",
                      "event announcements", "case studies", "success stories", "mailing lists",
                      "community updates", "photo essays", "podcast episodes", "fact sheets"),
    "learning": ("editing workshops", "online courses", "training modules", "learning materials",
                 "participant surveys", "program metrics", "newcomer tutorials", "quizzes",
                 "classroom assignments", "webinars", "learning outcomes", "evaluation reports",
                 "study groups", "peer reviews", "reading lists", "skill assessments", "lesson plans"),
    "community": ("newcomers", "long-term volunteers", "friendly spaces", "safe events", "disputes",
                  "community discussions", "incident reports", "underrepresented groups",
                  "volunteer burnout", "community norms", "anonymous feedback", "harassment reports",
                  "mentorship circles", "support networks", "community values", "local chapters"),
    "social": ("diverse teams", "trust", "constructive feedback", "consensus", "volunteer teams",
               "online meetings", "group discussions", "cross-community ties", "shared goals",
               "peer support", "new leaders", "working groups", "difficult conversations",
               "team rituals", "common ground", "informal networks"),
    "strategic": ("partnerships with GLAM institutions", "movement priorities", "long-term plans",
                  "open access policies", "knowledge gaps", "theories of change", "regional strategies",
                  "public domain projects", "funding strategies", "policy proposals", "impact stories",
                  "stakeholder maps", "open educational resources", "free licenses", "local languages",
                  "content partnerships", "advocacy campaigns"),
    "technology": ("Wikidata queries", "Lua modules", "bots", "user scripts", "datasets", "infoboxes",
                   "Commons uploads", "structured data", "tool accounts", "dashboards", "maps",
                   "reference data", "authority control", "lexemes", "bulk edits", "citation templates",
                   "wiki templates", "API clients", "database reports", "spreadsheets"),
}

#: Names of capacities that are tools or projects: kept as they are in many translations.
PROPER_NAMES: Final[tuple[str, ...]] = (
    "QuickStatements", "OpenRefine", "PetScan", "Pywikibot", "Citoid", "HotCat", "Wikisource",
    "Wiktionary", "Wikivoyage", "Wikiversity", "Wikifunctions", "Wikimedia Commons", "Wikipedia",
    "Phabricator", "Gerrit", "PAWS", "Listeria", "Mix'n'match", "Tabernacle", "AbuseFilter",
    "Content Translation", "VisualEditor", "Programs & Events Dashboard", "Outreach Dashboard",
    "Scholia", "Reasonator", "Commons Helper", "Wiki Loves Monuments", "Wiki Loves Earth",
    "Women in Red", "Art+Feminism", "Wikidata Query Service", "Kiwix", "Wikimedia Cloud VPS",
)

#: Words that stay untranslated in running text (product and project names, loanwords).
PROTECTED_WORDS: Final[tuple[str, ...]] = (
    "Wikimedia", "Wikipedia", "Wikidata", "Wikisource", "Wiktionary", "Wikivoyage", "Wikiversity",
    "Wikifunctions", "Commons", "MediaWiki", "Meta-Wiki", "Toolforge", "Phabricator", "Gerrit",
    "SPARQL", "Lua", "OpenRefine", "QuickStatements", "PetScan", "Pywikibot", "Citoid", "HotCat",
    "PAWS", "Listeria", "Scholia", "Reasonator", "Kiwix", "GLAM", "API", "APIs", "CapX",
    "AbuseFilter", "VisualEditor", "Mix'n'match", "Tabernacle", "edit-a-thon", "edit-a-thons",
    "workshop", "tutorial", "advocacy", "Art+Feminism",
)

#: Openings of descriptions; ``{x}`` is the lower-cased capacity name.
OPENINGS: Final[tuple[str, ...]] = (
    "The practice of {x}", "Skills for {x}", "Experience with {x}", "Knowing how to go about {x}",
    "The process of {x}", "Hands-on work on {x}", "Practical knowledge of {x}", "Confidence in {x}",
    "The know-how behind {x}", "Methods and habits for {x}",
)

#: Openings for second-level topics; ``{x}`` is the lower-cased topic.
TOPIC_OPENINGS: Final[tuple[str, ...]] = (
    "Everything related to {x}", "The area of {x}", "Skills grouped under {x}", "The field of {x}",
    "Capacities about {x}", "Work on {x}",
)

CONTEXTS: Final[tuple[str, ...]] = (
    "within Wikimedia affiliates and user groups", "across Wikipedia, Wikidata and Wikimedia Commons",
    "in local and regional communities", "for online and in-person events",
    "together with galleries, libraries, archives and museums", "with newcomers and experienced editors alike",
    "in schools and universities", "in the movement’s thematic organizations",
    "during translat-a-thons and campaigns", "on Meta-Wiki and the community’s own wiki",
    "in small volunteer teams", "across languages and time zones",
    "in communities that edit in more than one language", "on mobile as well as on desktop",
)

PURPOSES: Final[tuple[str, ...]] = (
    "to support free knowledge", "so that volunteers can contribute with confidence",
    "to close knowledge gaps", "to keep projects sustainable",
    "while respecting community policies and the Universal Code of Conduct",
    "and sharing the results with the wider movement", "to make content easier to find and reuse",
    "to help affiliates report their impact", "so that work is not lost when people move on",
    "to reach audiences that are not yet represented", "to improve the quality of articles and data",
    "with attention to privacy and safety", "so that others can learn from it",
    "to build trust between volunteers and partners",
)

EXTRAS: Final[tuple[str, ...]] = (
    "— from planning to reporting", "including follow-up after the activity ends",
    "with clear roles and timelines", "using free and open tools wherever possible",
    "and documenting what was learned", "in a way that newcomers can take over",
    "with regular check-ins and honest feedback", "and adapting it to each community’s needs",
    "based on evidence gathered from participants", "while keeping the workload reasonable for volunteers",
)

#: Extra clauses some languages add when they translate (translations run longer than English).
EXPANSIONS: Final[tuple[str, ...]] = (
    "as is usual in the community", "according to the guidelines agreed by the community",
    "in the context of the Wikimedia movement and its projects", "taking local conditions into account",
)

#: Qualifiers that make a repeated name unique in very large samples.
QUALIFIERS: Final[tuple[str, ...]] = (
    "for beginners", "at scale", "in small communities", "for events", "for affiliates",
    "in GLAM contexts", "for education", "across languages", "for online programs", "for campaigns",
)


#: Real MediaWiki language codes, roughly by the size of their Wikimedia communities: beyond the 42
#: CapX UI locales the sample takes these first (those :mod:`capxl10n.core.langs` knows), then the rest
#: of the language table in code order.
FALLBACK_LANGUAGES: Final[tuple[str, ...]] = tuple((
    "en de fr es ja ru it zh-hans pt-br pt ar pl nl sv uk vi fa ca sr id ko nb fi tr hu cs he ro eu "
    "ms eo hy da bg cy sk et uz kk be el hr lt gl az ur sl ka nn hi th ta bn la mk ast lv af tg my "
    "te sq mr zh-hant be-tarask br ml ky nds sw lb jv new ht pms vec lmo pnb su ba ga is szl fy cv "
    "ckb pa tl an io wuu diq ha ig sco yo ne ia kn gu gsw ku bar crh scn bpy qu mn nv xmf ban si mzn "
    "ps frr os tum sa bcl or gd hsb bho yue arz azb tt ce ilo war ceb min lld sh-latn sh-cyrl "
    "skr-arab kaa sr-ec sr-el de-formal nl-informal en-gb en-ca zh-hk zh-tw zh-cn ko-kp kk-cyrl "
    "kk-latn ku-latn tt-cyrl ug-arab crh-latn ks-arab sd dv yi am ti so om rw rn lg ln kg sn zu xh "
    "st tn ts ss ve nso wo ff bm ee tw ak fon gn ay mi haw sm to fj ty ch mh na bi pag pam bjn ace "
    "mad bug gor map-bms sgs vro rup nap lij fur lad rm wa pcd nrm frp co sc eml rgn lfn ie nov vo "
    "jbo kab kbp tzm zgh shi rif ary arq aeb lrc glk bqi sdh bcc hif tpi srn pap gcr sah udm koi kv "
    "mhr mrj myv mdf tyv xal krc inh av lez lbe kbd ady ab rue kum alt bxr cu mwl ext pdc ksh pfl "
    "stq vls zea li wae smn se sma sju fo kl iu ike-cans chr sat mai awa dty anp gom-deva as tcy shn "
    "mnw bo dz lo km got pnt hyw nqo cdo hak gan lzh nan tet bew btm nia mni cr tay pwn szy ami trv "
).split())
