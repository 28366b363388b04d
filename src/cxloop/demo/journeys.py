"""The CloudLaunch demo's journey maps: 36 touchpoints (each owned by one of the demo's departments, on one
channel) and two journeys — "B2B 采购到续约 Purchase to renewal" (7 stages, 30 touchpoints) and "技术支持请求
Support request" (6 stages, 22 touchpoints) — with every written lane of the service blueprint (customer actions,
frontstage, backstage, support processes, opportunities) and a to-be emotion for every step.

The responses name these touchpoints (``touchpoint_for``, called by ``responses`` for every response; it draws
from a random stream of its own, so every answer stays what it was). What a comment is about decides where it
belongs: anything about report export (its topic, or a comment that mentions export) names ``report_export``, so
in months 18–19 the defect makes it the low point of both journeys' emotion curves. Otherwise post-support CSAT
names the ticket's problem (by category: dashboards, data import, billing…) when the comment is about the problem
or its resolution, and the service (phone, live chat, tickets, WeChat Work group, remote assistance, closure…)
when it is about the agent or the speed; onboarding CES names its milestone (kick-off, members, data import, SSO,
workflow, go-live) or the training; the in-app questionnaires the product area; relationship NPS and ACSI the
lifecycle moment they follow (QBR, CSM check-in, renewal, invoice, the sales contacts before the purchase…),
weighted by what the comment talks about.

The journeys are data (``journeys.services``); the lanes computed from the responses (thoughts and feelings, pain
points) and every number come from ``journeys.live``. The surveys keep their own touchpoint (the generic
"relationship", "support", "onboarding", "in_app"): each response names its finer one itself.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from cxloop.demo import comments
from cxloop.demo.base import ContactInfo
from cxloop.journeys import services as journeys
from cxloop.journeys.models import Journey, Touchpoint
from cxloop.orgs.models import Organization, Team, User

EXPORT = "report_export"


@dataclass(frozen=True)
class TouchpointSpec:
    key: str
    zh: str
    hant: str
    en: str
    channel: str
    team: str  # content.TeamSpec.key
    description: str
    actions: str
    frontstage: str
    backstage: str
    support: str
    opportunities: str
    target: float  # the to-be emotion, −1…1

    @property
    def names(self) -> dict[str, str]:
        return {"zh-hans": self.zh, "zh-hant": self.hant, "en": self.en}


T = TouchpointSpec
TOUCHPOINTS: tuple[TouchpointSpec, ...] = (
    # --- before the purchase ---
    T("website", "官网与产品资料", "官網與產品資料", "Website & product info", "web", "marketing",
      "cloudlaunch.cn 官网：产品介绍、价格页、客户案例与白皮书下载。",
      "浏览官网产品页、价格页和同行业客户案例，下载白皮书并留下联系方式",
      "官网在线咨询与 400 热线；市场部在 24 小时内回访留资线索",
      "市场部维护官网内容与 SEO；线索进入 CRM，按地区自动分配给销售",
      "营销自动化平台做线索评分；官网 CDN 与表单可用性监控",
      "价格页按模块列出报价；按行业展示报表与审批模板的真实案例",
      0.3),
    T("webinar", "线上研讨会与行业活动", "線上研討會與行業活動", "Webinars & events", "web", "marketing",
      "每月一场线上直播、城市沙龙与年度用户大会。",
      "报名参加线上直播或城市沙龙，观看新功能演示和同行客户分享",
      "市场部主持直播，产品经理演示新功能，会后发送回放和资料包",
      "报名系统与直播平台对接 CRM，参会与观看时长计入线索评分",
      "直播技术保障、会后问卷、SDR 跟进话术",
      "按行业办专场（制造、零售、医疗）；直播中专门答疑报表导出等高频问题",
      0.4),
    T("trial_signup", "免费试用注册", "免費試用註冊", "Free trial sign-up", "web", "sales",
      "14 天免费试用：注册、创建试用空间、完成新手任务。",
      "填写企业信息注册 14 天试用，创建试用空间并导入样例数据试用报表和审批",
      "试用引导邮件与产品内新手任务；SDR 在 48 小时内电话回访",
      "试用空间自动开通；试用行为数据同步到 CRM 计算 PQL 评分",
      "试用期在线客服与帮助中心；短信验证码服务",
      "按行业预置试用模板；对没做出第一个报表的试用客户主动约演示",
      0.4),
    T("product_demo", "产品演示", "產品演示", "Product demo", "sales", "sales",
      "销售与售前顾问按客户场景做的远程或上门演示。",
      "与销售约定时间，观看按自己业务场景定制的协同、报表与审批演示，提出安全与集成问题",
      "售前顾问远程或上门演示，现场解答技术、安全与集成问题",
      "售前准备演示环境和行业样例数据，把需求记录到 CRM 商机",
      "售前知识库；演示环境运维；产品部支持复杂集成问题",
      "演示范围与合同交付范围对齐，避免“演示效果和上线后不一样”；演示后立即开通试用账号",
      0.5),
    T("proposal", "方案与报价", "方案與報價", "Proposal & quote", "sales", "sales",
      "解决方案书、按坐席与模块的报价单、折扣审批。",
      "收到方案书和报价单，内部比价、走预算审批",
      "销售讲解套餐、按坐席计费和折扣，提供年付与分期方案",
      "CPQ 生成报价单；折扣审批流（销售 → 销售副总裁 → 财务）",
      "财务部核定折扣与账期；法务提供标准条款",
      "报价单按模块拆分、写明增购单价；推出适合小团队的套餐",
      0.2),
    T("contract", "合同签署与采购", "合約簽署與採購", "Contract & procurement", "sales", "sales",
      "合同审核、盖章、电子签与首期付款。",
      "法务审核合同条款，走采购流程、盖章并支付首期款",
      "销售协调合同修改，提供电子签章与数据安全承诺函",
      "法务审核非标条款；财务建立客户档案与开票信息；CRM 商机转为赢单",
      "电子签章平台；合同管理系统；财务部",
      "标准化数据安全与 SLA 附件，减少法务来回；签约后自动触发实施启动",
      0.3),
    # --- onboarding ---
    T("kickoff", "实施启动会与空间开通", "導入啟動會與空間開通", "Kick-off & workspace", "in_person",
      "customer_success", "签约后一周内的实施启动会，开通企业空间。",
      "参加实施启动会，确定上线范围、里程碑和项目负责人，开通企业空间",
      "客户成功经理主持启动会，讲解上线计划、分工与验收标准",
      "客户成功部创建实施项目、分配实施顾问；运维开通租户",
      "实施方法论与上线清单模板；租户开通自动化",
      "启动会前发送准备清单；启动会当天就完成空间创建和管理员设置",
      0.5),
    T("user_invite", "成员邀请与组织架构", "成員邀請與組織架構", "Members & org chart", "app", "customer_success",
      "批量邀请成员，同步企业微信、钉钉或 AD 的组织架构。",
      "批量邀请同事，导入或同步组织架构（企业微信、钉钉、AD）",
      "产品内邀请向导；实施顾问协助配置部门、角色与管理员",
      "通讯录同步服务；账号激活邮件与短信",
      "帮助中心“组织架构同步”文档；技术支持处理同步失败",
      "同步失败时给出看得懂的原因；支持用 Excel 模板一次导入",
      0.3),
    T("data_import", "数据导入与迁移", "資料匯入與遷移", "Data import & migration", "app", "customer_success",
      "把历史数据从 Excel、旧系统或 ERP 导入云启，连接数据源。",
      "把历史数据从 Excel、旧系统或 ERP 导入云启，连接数据源并核对结果",
      "实施顾问提供导入模板并协助清洗数据；支持工程师处理导入报错",
      "导入服务校验格式并批量写入；数据连接器同步任务调度",
      "迁移工具与导入日志；数据迁移专家",
      "导入前预检查并标出格式有问题的行；提供常见 ERP 的迁移模板",
      0.1),
    T("sso_setup", "单点登录与安全配置", "單一登入與安全設定", "SSO & security setup", "app", "customer_success",
      "SAML / OIDC 单点登录、IP 白名单、密码策略。",
      "IT 管理员配置 SAML / OIDC 单点登录、IP 白名单和密码策略",
      "实施顾问远程协助配置，提供各身份源的配置说明",
      "身份认证服务、证书校验与登录日志",
      "技术支持二线；产品部安全团队",
      "提供 Azure AD、飞书、企业微信的一键配置向导；保存前自动检测证书",
      0.0),
    T("workflow_setup", "审批流程配置", "審批流程設定", "Workflow setup", "app", "customer_success",
      "把请假、报销、采购等审批搬到云启：表单、条件分支、审批人。",
      "把请假、报销、采购等审批流程搬到云启，设置条件分支和审批人",
      "实施顾问提供流程模板并协助配置复杂分支",
      "流程引擎与表单设计器；配置变更审计",
      "流程模板库；技术支持",
      "提供行业流程模板包；保存前可视化预览流程走向",
      0.3),
    T("training", "培训与上线辅导", "培訓與上線輔導", "Training & coaching", "in_person", "customer_success",
      "按角色的线上 / 现场培训、云启学院认证、上线首月陪跑。",
      "管理员和关键用户参加线上或现场培训，完成云启学院认证",
      "培训讲师按角色授课；客户成功经理安排上线首月陪跑",
      "培训排期、课件与认证系统；出勤情况计入客户健康度",
      "云启学院视频课程；培训环境",
      "按岗位拆成短视频课程；客户新员工入职时可自助培训",
      0.5),
    T("go_live", "首个报表上线与验收", "首個報表上線與驗收", "Go-live & first report", "app", "customer_success",
      "发布第一个经营报表，内部验收，签署上线确认。",
      "发布第一个经营报表或仪表盘，组织内部验收，签署上线确认",
      "客户成功经理组织上线评审，确认里程碑完成",
      "上线检查清单；实施项目结项，交接给客户成功经理日常运营",
      "报表模板库；上线验收模板",
      "用模板一天内做出首个报表；上线后第 30 天做健康度回访",
      0.6),
    # --- the product in daily use ---
    T("dashboards", "报表与仪表盘", "報表與儀表板", "Reports & dashboards", "app", "product",
      "云启报表：经营仪表盘、报表设计器、图表与筛选。",
      "查看经营仪表盘、设计报表、按部门和时间筛选数据",
      "报表设计器、图表组件与模板中心",
      "云启报表查询引擎、数据缓存与行级权限过滤",
      "帮助中心报表教程；性能监控与告警",
      "大数据量报表提速；增加图表类型和移动端看板",
      0.5),
    T(EXPORT, "报表导出", "報表匯出", "Report export", "app", "product",
      "把报表导出为 Excel / PDF，定时导出并发送邮件。",
      "把报表导出为 Excel 或 PDF 发给管理层、导入财务系统，设置定时导出",
      "报表页的“导出”按钮、导出任务进度提示、定时导出邮件",
      "导出服务（异步任务队列、文件生成、对象存储）；月度版本发布流程",
      "技术支持导出类工单；研发值班与热修复流程",
      "发布前加导出回归测试和灰度发布；导出失败自动重试并通知用户；大报表分片导出",
      0.4),
    T("collaboration", "协同文档与消息", "協同文件與訊息", "Docs & messaging", "app", "product",
      "云启协同：文档、消息、日历、网盘。",
      "在云启协同里写文档、建群沟通、共享文件、安排会议",
      "协同模块（文档、消息、日历、网盘）与搜索",
      "消息推送、文件存储与同步服务、搜索索引",
      "帮助中心；技术支持；运维监控",
      "提升大文件同步和搜索速度；保证消息通知不丢失",
      0.5),
    T("workflow", "流程审批", "流程審批", "Workflow approvals", "app", "product",
      "日常的报销、采购、用印等审批，电脑和手机上都能处理。",
      "发起和审批报销、采购、用印等流程，在手机上随时审批",
      "流程审批模块、待办提醒与移动端审批",
      "流程引擎、消息通知服务、审计日志",
      "技术支持；流程模板库",
      "审批卡住时自动提醒与转交；审批数据直接进入报表",
      0.4),
    T("integrations", "数据连接器与开放 API", "資料連接器與開放 API", "Connectors & open API", "app", "product",
      "与 ERP、CRM、钉钉、企业微信的连接器，开放平台 API。",
      "用数据连接器对接 ERP、CRM、钉钉或企业微信，或调用开放 API 开发集成",
      "连接器配置页、开发者文档与 API 控制台",
      "连接器同步任务、API 网关与限流、合作伙伴集成",
      "开发者社区；技术支持二线；实施合作伙伴",
      "增加钉钉与 SAP 的官方连接器；同步失败时通知管理员",
      0.3),
    T("mobile_app", "移动端 App", "行動端 App", "Mobile app", "app", "product",
      "iOS / Android App 与企业微信、钉钉里的 H5。",
      "在手机上看消息、处理审批、查看仪表盘",
      "iOS / Android App，企业微信与钉钉内的 H5 页面",
      "移动端发布与推送服务、崩溃监控",
      "应用商店评价回复；技术支持",
      "支持离线查看；提升弱网下的加载速度",
      0.4),
    T("login_access", "登录与权限管理", "登入與權限管理", "Login & permissions", "app", "product",
      "登录、找回密码、角色与数据权限的管理后台。",
      "登录、找回密码；管理员调整成员的角色和数据权限",
      "登录页与管理后台的角色、权限设置",
      "身份认证服务、权限模型与审计日志",
      "技术支持处理账号锁定和单点登录故障",
      "简化权限配置；提供字段级权限和“以某人身份预览”",
      0.3),
    # --- support ---
    T("help_center", "帮助中心与用户社区", "幫助中心與用戶社群", "Help center & community", "web", "support",
      "帮助文档、云启学院视频、用户社区问答。",
      "搜索帮助文档、看视频教程、在用户社区提问",
      "帮助中心、云启学院、社区版主答疑",
      "文档随每月版本更新；分析搜索日志找出缺失的文章",
      "产品部提供发布说明；技术支持把高频工单沉淀为文章",
      "文档与新版本同步上线；在报错提示旁直接推荐相关文章",
      0.3),
    T("chatbot", "智能客服机器人", "智能客服機器人", "Support chatbot", "chat", "support",
      "产品内与企业微信里的智能客服，可一键转人工。",
      "在产品内或企业微信里向机器人提问，答不上来时转人工",
      "智能客服回答常见问题，一键转人工客服",
      "知识库与意图识别模型；未命中的问题进入运营分析",
      "客户支持部维护知识库；人工客服接管会话",
      "识别到故障或投诉时直接转人工；答案附上帮助文章链接",
      0.1),
    T("phone_support", "400 电话支持", "400 電話支援", "Phone support", "phone", "support",
      "400 热线，工作日 8:00–20:00。",
      "拨打 400 热线说明问题，等待接通或回电",
      "一线工程师接听、建工单并在电话里排查",
      "呼叫中心排班、IVR 分流、工单系统",
      "二线工程师；知识库",
      "高峰期提供预约回拨；来电自动识别客户和历史工单",
      0.4),
    T("online_chat", "在线客服", "線上客服", "Live chat", "chat", "support",
      "产品右下角与官网的在线客服。",
      "在产品右下角或官网发起在线对话，截图说明问题",
      "在线客服工程师实时回复，必要时查看客户配置",
      "会话分配、自动建工单、会话结束后邀请评价",
      "知识库；二线支持",
      "会话中自动带上客户的版本号和报错日志",
      0.4),
    T("email_ticket", "工单与邮件支持", "工單與郵件支援", "Tickets & e-mail", "email", "support",
      "支持门户与 support@ 邮箱提交的工单。",
      "在支持门户或发邮件提交工单，附上截图和日志，跟踪处理进度",
      "工程师按优先级响应，邮件同步处理进展",
      "工单系统：SLA 计时、分派与升级规则",
      "二线与研发值班；知识库",
      "工单进度对客户实时可见；P1 工单自动电话通知",
      0.3),
    T("wechat_group", "企业微信服务群", "企業微信服務群", "WeChat Work group", "wechat", "support",
      "每个专业版、旗舰版客户的专属企业微信服务群。",
      "在专属企业微信群里 @客服 提问，发截图和录屏",
      "支持工程师与客户成功经理在群内响应；群公告发布版本与故障通知",
      "群消息转工单、值班表、群内响应时长监控",
      "客户成功部；二线支持",
      "群消息自动生成工单避免遗漏；下班时间自动告知值班安排",
      0.5),
    T("remote_assist", "远程协助", "遠端協助", "Remote assistance", "app", "support",
      "预约远程会议，工程师共享屏幕一步步排查。",
      "预约远程会议，共享屏幕让工程师一步步排查",
      "工程师远程演示操作、修改配置并当场确认结果",
      "远程会议工具、操作记录与客户授权",
      "二线工程师；产品专家",
      "远程协助后自动发送操作步骤总结",
      0.5),
    T("escalation", "缺陷升级与研发跟进", "缺陷升級與研發跟進", "Bug escalation", "email", "product",
      "确认为产品缺陷的问题升级到研发，跟进修复。",
      "问题被确认为缺陷后等待研发修复，期间询问进度和临时方案",
      "支持工程师同步修复进度和规避方案",
      "缺陷进入研发缺陷库，按严重度排期；热修复发布流程",
      "研发值班；测试与发布团队",
      "对客户公开缺陷状态；P1 缺陷每天同步进度",
      0.0),
    T("onsite_support", "上门服务", "到場服務", "On-site support", "in_person", "customer_success",
      "旗舰版客户的重大问题与大版本升级上门服务。",
      "遇到重大问题或大版本升级时，请工程师到现场处理",
      "驻场工程师和客户成功经理上门排查并培训",
      "上门派工、差旅审批、服务报告",
      "二线与研发远程支持",
      "上门前先远程预诊断，避免二次上门",
      0.6),
    T("ticket_closure", "解决确认与工单关闭", "解決確認與工單關閉", "Resolution & closure", "email", "support",
      "确认问题解决、关闭工单、邀请评价。",
      "确认问题已解决，关闭工单并填写满意度调研",
      "工程师确认方案有效后再关闭工单，发送满意度调研",
      "工单关闭与重开规则；满意度调研自动触发",
      "质检抽查；低分工单自动开启回访案例",
      "关闭前必须得到客户确认；低分工单 24 小时内回访",
      0.5),
    T("hotfix_notice", "修复与版本更新通知", "修復與版本更新通知", "Fixes & release notes", "email", "product",
      "每月版本的发布说明、热修复通知、站内公告。",
      "收到修复通知或版本更新说明，验证问题是否已经解决",
      "版本发布说明、站内公告、企业微信群通知",
      "发布管理、灰度发布与回滚",
      "技术支持把修复通知关联到相关工单",
      "修复上线后自动通知受影响的客户；发布前做充分的回归测试",
      0.3),
    T("product_feedback", "需求反馈与路线图", "需求回饋與路線圖", "Feature requests & roadmap", "web", "product",
      "需求提交与投票、季度路线图。",
      "提交功能需求、给需求投票、查看产品路线图",
      "产品经理在反馈社区回复；客户成功经理同步需求状态",
      "需求池评审、优先级排序、季度路线图发布",
      "客户顾问委员会；用户访谈",
      "需求状态变化时主动通知提出者；每季度公开路线图",
      0.2),
    # --- the relationship and renewal ---
    T("csm_checkin", "客户成功经理回访", "客戶成功經理回訪", "CSM check-in", "phone", "customer_success",
      "客户成功经理的月度回访。",
      "接听客户成功经理的定期回访，反馈使用中的问题和新需求",
      "客户成功经理每月回访，结合使用数据给出建议",
      "客户健康度评分、回访计划与 CRM 记录",
      "产品与支持团队协助解决回访中提出的问题",
      "健康度下降时提前介入；回访中的问题闭环跟踪",
      0.6),
    T("qbr", "季度业务回顾", "季度業務回顧", "Quarterly business review", "in_person", "customer_success",
      "与客户管理层的季度业务回顾（QBR）。",
      "管理层与客户成功经理一起回顾使用情况、价值和下季度目标",
      "客户成功经理准备使用报告与 ROI 分析，产品专家介绍路线图",
      "使用数据分析、健康度与续约风险评估",
      "销售参与增购讨论；产品部提供路线图",
      "用客户自己的数据讲清价值；把 QBR 上的问题转成行动计划",
      0.6),
    T("invoice", "账单与发票", "帳單與發票", "Billing & invoices", "email", "finance",
      "按坐席计费的账单、增值税发票与付款。",
      "收到账单、核对金额、申请开具增值税发票并付款",
      "财务部发送账单与电子发票，解答账单疑问",
      "计费系统按坐席计费；开票系统与回款跟踪",
      "销售解释合同条款；客户支持处理账单类工单",
      "账单明细与合同一一对应；电子发票一个工作日内开出",
      0.2),
    T("renewal", "续约与增购", "續約與增購", "Renewal & expansion", "sales", "sales",
      "续约沟通、报价与合同续签，增购坐席或模块。",
      "续约前评估使用效果、比较报价、走续约审批，按需增购坐席或模块",
      "客户成功经理与销售提前 90 天沟通续约方案与优惠",
      "续约预测、价格审批、合同续签",
      "财务开票；客户成功部提供健康度与使用报告",
      "提前 120 天提醒客户做续约预算；老客户续约保价",
      0.4),
)
del T
BY_KEY: dict[str, TouchpointSpec] = {t.key: t for t in TOUCHPOINTS}


@dataclass(frozen=True)
class JourneySpec:
    name: dict[str, str]
    description: str
    stages: tuple[tuple[dict[str, str], tuple[str, ...]], ...]  # (name, touchpoint keys)


def _n(zh: str, hant: str, en: str) -> dict[str, str]:
    return {"zh-hans": zh, "zh-hant": hant, "en": en}


JOURNEYS: tuple[JourneySpec, ...] = (
    JourneySpec(
        _n("B2B 采购到续约", "B2B 採購到續約", "B2B purchase to renewal"),
        "企业客户从了解云启、评估、采购、实施上线、日常使用、服务支持到续约的完整旅程。",
        (
            (_n("认知", "認知", "Awareness"), ("website", "webinar")),
            (_n("评估", "評估", "Evaluation"), ("trial_signup", "product_demo")),
            (_n("采购", "採購", "Purchase"), ("proposal", "contract")),
            (_n("实施上线", "導入上線", "Onboarding"),
             ("kickoff", "user_invite", "data_import", "sso_setup", "workflow_setup", "training", "go_live")),
            (_n("日常使用", "日常使用", "Adoption"),
             ("dashboards", EXPORT, "collaboration", "workflow", "integrations", "mobile_app", "product_feedback")),
            (_n("服务支持", "服務支援", "Support"),
             ("help_center", "online_chat", "phone_support", "email_ticket", "wechat_group", "escalation")),
            (_n("续约", "續約", "Renewal"), ("csm_checkin", "qbr", "invoice", "renewal")),
        ),
    ),
    JourneySpec(
        _n("技术支持请求", "技術支援請求", "Support request"),
        "客户在使用中遇到问题，从自助排查、联系支持、诊断处理到解决和回访的旅程。",
        (
            (_n("遇到问题", "遇到問題", "Problem arises"),
             (EXPORT, "dashboards", "data_import", "integrations", "login_access", "mobile_app", "workflow",
              "collaboration", "invoice")),
            (_n("自助排查", "自助排查", "Self-service"), ("help_center", "chatbot")),
            (_n("联系支持", "聯絡支援", "Contact support"),
             ("phone_support", "online_chat", "email_ticket", "wechat_group")),
            (_n("诊断处理", "診斷處理", "Diagnosis"), ("remote_assist", "escalation", "onsite_support")),
            (_n("解决确认", "解決確認", "Resolution"), ("hotfix_notice", "ticket_closure")),
            (_n("回访与改进", "回訪與改進", "Follow-up"), ("csm_checkin", "product_feedback")),
        ),
    ),
)


def create_journeys(org: Organization, teams: Mapping[str, Team], *, actor: User | None = None,
                    at: datetime | None = None) -> tuple[int, int]:
    """The touchpoints and both journeys, through the journey services; returns (touchpoints, journeys)."""
    found: dict[str, Touchpoint] = {}
    for spec in TOUCHPOINTS:
        found[spec.key] = journeys.save_touchpoint(org=org, key=spec.key, name=spec.names, channel=spec.channel,
                                                   owner_team=teams[spec.team], description=spec.description,
                                                   actor=actor)
    made: list[Journey] = []
    for journey_spec in JOURNEYS:
        journey = journeys.save_journey(org=org, name=journey_spec.name, description=journey_spec.description,
                                        actor=actor)
        for stage_name, keys in journey_spec.stages:
            stage = journeys.add_stage(journey=journey, name=stage_name, actor=actor)
            for key in keys:
                spec = BY_KEY[key]
                lanes = {"actions": spec.actions, "frontstage": spec.frontstage, "backstage": spec.backstage,
                         "support": spec.support, "opportunities": spec.opportunities}
                journeys.add_step(stage=stage, touchpoint=found[key], lanes=lanes, target=spec.target, actor=actor)
        made.append(journey)
    if at is not None:  # dated like the rest of the demo (the timestamps derive from its "today")
        Touchpoint.objects.filter(org=org).update(created_at=at)
        Journey.objects.filter(pk__in=[j.pk for j in made]).update(created_at=at, updated_at=at)
    return len(found), len(made)


# --- which touchpoint a response names ---------------------------------------------------------------------

Weights = tuple[tuple[str, float], ...]
EXPORT_TOPICS = frozenset({"export", "export_defect", "export_fixed"})

# Relationship NPS and ACSI follow a lifecycle moment; what the comment talks about makes some moments likelier.
RELATIONSHIP: dict[str, Weights] = {
    "price": (("renewal", 3.5), ("invoice", 3.0), ("proposal", 3.5), ("contract", 1.8), ("website", 0.6)),
    "overall": (("qbr", 3.0), ("csm_checkin", 2.0), ("product_demo", 1.2), ("website", 1.2), ("webinar", 1.0),
                ("renewal", 1.0), ("contract", 1.5), ("hotfix_notice", 0.5)),
    "usability": (("dashboards", 1.5), ("collaboration", 1.5), ("workflow", 1.2), ("mobile_app", 1.0),
                  ("trial_signup", 1.8), ("login_access", 1.0), ("training", 0.8), ("product_demo", 0.8)),
    "staff_attitude": (("csm_checkin", 2.5), ("product_demo", 1.5), ("qbr", 1.0), ("onsite_support", 1.0),
                       ("training", 0.8), ("contract", 0.5)),
    "support_speed": (("csm_checkin", 1.5), ("onsite_support", 0.8), ("escalation", 0.8), ("contract", 0.4)),
    "performance": (("dashboards", 1.5), ("collaboration", 1.5), ("mobile_app", 1.5), ("trial_signup", 0.8)),
    "feature_request": (("product_feedback", 4.0), ("product_demo", 1.2), ("webinar", 1.2), ("qbr", 1.0),
                        ("contract", 0.6), ("proposal", 0.6)),
    "onboarding": (("training", 2.0), ("trial_signup", 1.0), ("kickoff", 1.0), ("go_live", 1.0)),
    "documentation": (("help_center", 2.5), ("website", 2.0), ("webinar", 0.8)),
    "integration": (("integrations", 3.0), ("product_demo", 0.7), ("trial_signup", 0.5)),
    "bug": (("hotfix_notice", 2.5), ("escalation", 1.0), ("collaboration", 1.0), ("workflow", 1.0)),
    "": (("qbr", 2.0), ("renewal", 2.0), ("invoice", 1.5), ("csm_checkin", 2.0), ("website", 0.6),
         ("webinar", 0.6), ("trial_signup", 0.6), ("product_demo", 0.6), ("proposal", 0.6), ("contract", 0.6)),
}
# In-app questionnaires (SUS, UMUX-Lite): the product area the comment is about.
PRODUCT: dict[str, Weights] = {
    "usability": (("dashboards", 2.0), ("collaboration", 2.0), ("workflow", 1.5), ("login_access", 1.0),
                  ("integrations", 0.5)),
    "performance": (("dashboards", 2.0), ("collaboration", 1.5), ("mobile_app", 0.5)),
    "bug": (("collaboration", 1.0), ("workflow", 1.0), ("hotfix_notice", 0.6)),
    "feature_request": (("product_feedback", 2.0), ("dashboards", 1.0)),
    "documentation": (("help_center", 1.0),),
    "overall": (("dashboards", 1.0), ("collaboration", 1.0), ("workflow", 1.0), ("hotfix_notice", 0.3)),
    "": (("dashboards", 1.5), ("collaboration", 1.5), ("workflow", 1.0), ("integrations", 0.5),
         ("login_access", 0.5)),
}
MOBILE_PLATFORMS = frozenset({"ios", "android"})
# Onboarding CES: the milestone it followed.
MILESTONES: dict[str, str] = {
    "workspace_created": "kickoff", "members_invited": "user_invite", "data_source_connected": "data_import",
    "first_report_published": "go_live", "workflow_configured": "workflow_setup", "sso_configured": "sso_setup",
}
# Post-support CSAT: the problem (by ticket category) …
TICKET_AREA: dict[str, Weights] = {
    "howto": (("dashboards", 1.2), ("workflow", 1.0), ("collaboration", 1.0), ("chatbot", 1.0), ("training", 0.8),
              ("help_center", 0.6), ("login_access", 0.5)),
    "bug": (("escalation", 1.5), ("hotfix_notice", 1.0), ("collaboration", 1.0), ("workflow", 1.0)),
    "login": (("login_access", 1.0),),
    "account": (("login_access", 2.0), ("chatbot", 0.5)),
    "billing": (("invoice", 1.0),),
    "performance": (("dashboards", 1.0), ("collaboration", 1.0), ("mobile_app", 1.0)),
    "data_import": (("data_import", 1.0),),
    "integration": (("integrations", 1.0),),
}
# … or the service itself, when that is what the comment is about.
SUPPORT_CHANNELS: Weights = (("phone_support", 1.0), ("online_chat", 1.0), ("email_ticket", 1.2),
                             ("wechat_group", 1.0))
# A ticket's comment about the service itself (the agent, the speed) names the service: the channel or step that
# handled it. One about the problem (the issue, or whether it was resolved) names the problem's touchpoint. A ticket
# without a comment names the problem a little less than half the time.
SERVICE_TOPICS = frozenset({"staff_attitude", "support_speed"})
AREA_SHARE_UNCOMMENTED = 0.45
# A comment that mentions report export is about it, whatever its main topic ("导不出来": cannot be exported).
EXPORT_WORDS = re.compile(r"导出|導出|匯出|导不出|導不出|export", re.IGNORECASE)


def _pick(rng: random.Random, options: Sequence[tuple[str, float]]) -> str:
    return comments.pick(rng, tuple(options))


def _support_step(rng: random.Random, topic: str, contact: ContactInfo, category: str, priority: str) -> str:
    options = list(SUPPORT_CHANNELS)
    if contact.language != "zh-hans":  # the WeChat Work groups are mainland customers'
        options = [(k, w * 0.2 if k == "wechat_group" else w) for k, w in options]
    if topic == "staff_attitude":
        options += [("remote_assist", 1.2), ("ticket_closure", 0.6)]
    elif topic == "support_speed":
        options.append(("ticket_closure", 1.0))
        if category == "bug":  # waiting for the fix
            options.append(("escalation", 0.8))
    else:
        options.append(("ticket_closure", 0.8))
    if contact.account.tier == "enterprise" and priority in ("P1", "P2"):
        options.append(("onsite_support", 1.5))
    if category in ("howto", "login", "account"):
        options.append(("chatbot", 0.6))
    return _pick(rng, options)


def touchpoint_for(rng: random.Random, survey: str, topic: str, contact: ContactInfo, embedded: Mapping[str, object],
                   help_used: Sequence[str] = (), comment: str = "") -> str:
    """The touchpoint a demo response names. ``survey`` is the generator's handle ("nps", "csat", …), ``topic``
    what its comment (``comment``) is mainly about ("" without one); ``rng`` is the touchpoints' own random
    stream, drawn from once or twice per response."""
    roll = rng.random()
    if topic in EXPORT_TOPICS or EXPORT_WORDS.search(comment):
        return EXPORT
    if survey == "csat":
        category = str(embedded.get("category", ""))
        priority = str(embedded.get("priority", ""))
        if topic in SERVICE_TOPICS or (not topic and category != "export" and roll >= AREA_SHARE_UNCOMMENTED):
            return _support_step(rng, topic, contact, category, priority)
        if category == "export":
            return EXPORT
        return _pick(rng, TICKET_AREA.get(category, SUPPORT_CHANNELS))
    if survey == "ces":
        if topic == "documentation" and roll < 0.5:
            return "help_center"
        if "training" in help_used and topic != "integration" and roll < 0.5:
            return "training"
        return MILESTONES.get(str(embedded.get("milestone", "")), "kickoff")
    if survey in ("sus", "umux"):
        if embedded.get("platform") in MOBILE_PLATFORMS and roll < 0.85:
            return "mobile_app"
        return _pick(rng, PRODUCT.get(topic, PRODUCT[""]))
    return _pick(rng, RELATIONSHIP.get(topic, RELATIONSHIP[""]))  # nps, acsi


# Whose journeys: persona names (English) per journey, in journey order.
JOURNEY_PERSONAS: tuple[tuple[str, ...], ...] = (
    ("Enterprise IT lead", "Onboarding project lead", "Small business owner"),
    ("Operations analyst", "Enterprise IT lead"),
)


def link_personas(org: Organization, *, actor: User | None = None) -> int:
    """Link the demo's personas to the journeys they walk (after both exist); returns the links made."""
    from cxloop.segments.models import Persona

    personas = {str(p.name.get("en", "")): p.pk for p in Persona.objects.filter(org=org)}
    links = 0
    for journey, names in zip(Journey.objects.filter(org=org).order_by("pk"), JOURNEY_PERSONAS, strict=False):
        ids = [personas[name] for name in names if name in personas]
        journeys.set_personas(journey=journey, persona_ids=ids, actor=actor)
        links += len(ids)
    return links
