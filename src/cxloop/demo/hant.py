"""zh-Hans → zh-Hant for the demo's own text: a phrase table (Taiwan/Hong Kong usage and the
characters whose traditional form depends on the word) applied first, then a character table.

The tables cover exactly the characters of the demo's content (names, titles, companies, comment
fragments); they were derived with OpenCC's s2tw conversion and checked phrase by phrase. They are
not a general converter.
"""

from __future__ import annotations

# Ordered: longer or overlapping phrases first ("文件夹" before "文件" before "文档").
PHRASES: tuple[tuple[str, str], ...] = (
    ("导出", "匯出"), ("导入", "匯入"), ("文件夹", "資料夾"), ("文件", "檔案"), ("文档", "文件"),
    ("软件", "軟體"), ("信息", "資訊"), ("视频", "影片"), ("登录", "登入"), ("界面", "介面"), ("菜单", "選單"),
    ("设置", "設定"), ("加载", "載入"), ("搜索", "搜尋"), ("项目经理", "專案經理"), ("项目助理", "專案助理"),
    ("批量", "批次"), ("缓存", "快取"), ("远程", "遠端"), ("网络", "網路"), ("支持", "支援"),
    ("服务器", "伺服器"), ("字段", "欄位"), ("集成", "整合"), ("消息", "訊息"), ("实时", "即時"),
    ("老板", "老闆"), ("划算", "划算"), ("日历", "日曆"), ("布局", "佈局"), ("别扭", "彆扭"),
    ("复杂", "複雜"), ("重复", "重複"), ("复制", "複製"), ("回复", "回覆"), ("联系", "聯繫"),
    ("日志", "日誌"), ("汇报", "彙報"), ("尽快", "儘快"), ("制造", "製造"), ("沈阳", "瀋陽"), ("想象", "想像"),
    ("台湾", "台灣"), ("点赞", "點讚"), ("账号", "帳號"), ("对账", "對帳"),
)

_SIMPLIFIED = (
    "万与专业东丢两严个丰临为丽么义乌习乱于云亚产仅从仓仪们价众优会伟传体余储兰关兴内写军冯决况准凑几凯划刘刚创别办务动劲区医"
    "华协单占卢历厦发变叶号后吕听启吴员周咨响团国图场处备复够夹奥孙宁实审对导将尔尽层岛师帮广庄庆库应开弃张强当录彻态总恒惊惯"
    "户扫报择换据数无旧时显晓术机杂权条来杨杰构标栋样档桥梦欧气汇汉沟没泽洁测济浏涛润涨湾满滨灵点烦热独环现琐瑶电畅疗监盖盘着"
    "码确离种稳筑签简类紧红约级纪纳纸线组细织终经结给络统继续绵绿缓网罗职联脑腾舰艳节苏范荐药莹营蒋蓝虑虽装见观规视览觉计认让"
    "训议讯讲许设访证评识试诗诚话询详误说请诺谁调谢谭谱负财责败账货质购贴贵贸费贾赁资赞赵车轩转软载辉达迁过运还这进远连迟适选"
    "邓邮邹郑采里钉钟钮银链销锁错锡锦键长门闭问间队阳际陆陈险静韦韩页项顺顾顿预领频颖题额飞饮饰馈马验骤鲁鸡鸣鸿鹏黄齐"
)
_TRADITIONAL = (
    "萬與專業東丟兩嚴個豐臨為麗麼義烏習亂於雲亞產僅從倉儀們價眾優會偉傳體餘儲蘭關興內寫軍馮決況準湊幾凱劃劉剛創別辦務動勁區醫"
    "華協單佔盧歷廈發變葉號後呂聽啟吳員週諮響團國圖場處備復夠夾奧孫寧實審對導將爾盡層島師幫廣莊慶庫應開棄張強當錄徹態總恆驚慣"
    "戶掃報擇換據數無舊時顯曉術機雜權條來楊傑構標棟樣檔橋夢歐氣匯漢溝沒澤潔測濟瀏濤潤漲灣滿濱靈點煩熱獨環現瑣瑤電暢療監蓋盤著"
    "碼確離種穩築簽簡類緊紅約級紀納紙線組細織終經結給絡統繼續綿綠緩網羅職聯腦騰艦艷節蘇範薦藥瑩營蔣藍慮雖裝見觀規視覽覺計認讓"
    "訓議訊講許設訪證評識試詩誠話詢詳誤說請諾誰調謝譚譜負財責敗賬貨質購貼貴貿費賈賃資贊趙車軒轉軟載輝達遷過運還這進遠連遲適選"
    "鄧郵鄒鄭採裡釘鐘鈕銀鏈銷鎖錯錫錦鍵長門閉問間隊陽際陸陳險靜韋韓頁項順顧頓預領頻穎題額飛飲飾饋馬驗驟魯雞鳴鴻鵬黃齊"
)
_TABLE = str.maketrans(_SIMPLIFIED, _TRADITIONAL)


def to_hant(text: str) -> str:
    for simplified, traditional in PHRASES:
        if simplified in text:
            text = text.replace(simplified, traditional)
    return text.translate(_TABLE)
