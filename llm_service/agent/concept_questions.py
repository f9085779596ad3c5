"""Questions about what something is, or for advice, which plain chat answers, whatever
tools are offered.

"What is a merge conflict", "tell me what an ECS cluster is", "how do CloudWatch alarms work",
"is it better to squash or merge", "what's the best way to review a pull request", "how long
should a one on one be", "any tips for estimating a sprint", "do you think AWS is
overpriced": they use a tool's words but ask for an explanation, advice or an opinion, not
for the user's data. A request is such a question when it opens with one of these forms
(after "can you", "please", "tell me", "in simple terms") and, unless it asks for advice or
an opinion ("how should I word my update"), says nothing of the user's own things: no "my"
or "our", no number, no day or time. Routers ask `asks_about_a_concept` before
scoring, so no router has to learn this from examples. Nothing here names a tool.
"""

from __future__ import annotations

import re

LEAD = (
    r"^(?:(?:hey|ok|okay|so|um|well),? )*(?:(?:can|could|would) you |please )?"
    r"(?:tell me |explain (?:to me )?)?(?:in (?:simple|plain) (?:words|terms|english),? )?"
)
FORMS = (
    r"what(?: even| exactly| actually)?(?: is|'s| are) (?:a|an)\b",
    r"what (?:a|an) .+ (?:is|does)\b",
    r"what(?: is|'s| are) the (?:difference|point|purpose|idea|meaning)\b",
    r"what does .+ (?:mean|stand for)\b",
    r"how (?:does|do) (?!i\b|we\b|you\b).+ (?:work|handle|deal with)\b",
    r"(?:is|would) it (?:be )?(?:better|worse|wise|smart|good|bad) to\b",
    r"define\b",
    r"explain (?:a|an|what|how)\b",
    r"why (?:do|does|would) (?:people|teams|anyone|companies)\b",
)
ADVICE_FORMS = (
    r"how (?:should|would) (?:i|we|one)\b",
    r"how (?:long|often|much time|many \w+) should\b",
    r"what(?: is|'s) (?:the|a) (?:best|right|good|proper) way to\b",
    r"(?:any|some|got any|give me (?:some|a few)) (?:tips|advice|pointers|ideas)"
    r" (?:on|for|about)\b",
    r"recommend (?:a|an|some)\b",
    r"(?:do|did|don't) you (?:think|reckon|believe|feel)\b(?! (?:you|i|we) (?:can|could|would)\b)",
    r"what do you (?:think|reckon|make) (?:of|about)\b",
    r"(?:do|don't) you (?:like|love|hate|prefer)\b",
    r"would you rather\b",
    r"are you a fan of\b",
    r"what(?: is|'s) your (?:favou?rite|opinion|take|view)\b",
    r"is (?!my\b|our\b)[\w\s.'-]{1,40} (?:worth it|overrated|overpriced|any good)\b",
    r"(?:does|do) (?:anyone|anybody|everyone|people) (?:here )?(?:still|really|actually) "
    r"(?:use|like|need|care|bother)\b",
)
"""Advice, and opinions ("do you think lambda is worth it", "what do you make of monday.com",
"does anyone still use blended cost"), about anything; "do you think you could list them"
asks for the list."""
CONCEPT = re.compile(LEAD + "(?:" + "|".join(FORMS) + ")", re.IGNORECASE)
ADVICE = re.compile(LEAD + "(?:" + "|".join(ADVICE_FORMS) + ")", re.IGNORECASE)
OWN_THINGS = re.compile(
    r"\b(?:my|our|mine|ours|us|\d+|today|tonight|tomorrow|yesterday|now|currently|right now"
    r"|this (?:week|month|morning|afternoon|evening)|last (?:week|month|night)|next week)\b",
    re.IGNORECASE,
)


def asks_about_a_concept(text: str) -> bool:
    """Whether the request asks what something is or how it works, not about the user's own
    things, or asks for advice, about anything (see the module's docstring)."""
    spoken = text.strip().lower()
    if ADVICE.search(spoken) is not None:
        return True
    return CONCEPT.search(spoken) is not None and OWN_THINGS.search(spoken) is None
