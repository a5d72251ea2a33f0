"""Just the News (justthenews.com): Drupal, a membership box under every article."""

from crawler.spiders.drupal import DrupalSpider


class JustTheNewsSpider(DrupalSpider):
    name = "justthenews"
    outlet = "Just the News"
    site = "https://justthenews.com"
    discovery_summary = "RSS /rss.xml"
    # /<section>/<subsection>/<slug>, never the video and photo pages.
    article_patterns = (r"^/(?!video/|photo/)[a-z0-9-]+/[a-z0-9-]+/[a-z0-9-]+/?$",)
    paywall = "membership promo (articles free)"
    rules = DrupalSpider.rules.extend(
        body=".node__content .node__main_content .node__text .text-long",
        remove=(".facts-inside", ".membership-box", ".node__tabs", ".related-stories"),
        drop_paragraphs=(
            r"The Facts Inside Our Reporter's Notebook",
            r"Unlock unlimited access",
            r"Support Just the News",
        ),
        title=".node__content .node__title h1",
        subtitle=".node__content .node__teaser",
        authors=".node__content .node__byline a",
        section=".node__content .node__category a",
        dates=".node__content p.published__paragraph",
        image=".node__content .node__media figure",
        image_caption="figcaption",
        language="en",
        timezone="America/New_York",
        boilerplate=(
            "The Facts Inside Our Reporter's Notebook",
            "Unlock unlimited access",
            "No Ads Within Stories",
            "No Autoplay Videos",
            "VIP access to exclusive Just the News newsmaker events",
            "Support Just the News",
            "Dig Deeper",
            "Published:",
            "Updated:",
        ),
    )
